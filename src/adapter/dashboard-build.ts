import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { PageAssets } from "../server/page.ts";
import { modulePath } from "./fs/module-path.ts";
import { bundleForBrowser } from "./page-build.ts";

export const DASHBOARD_ENTRY = modulePath("../../public/dashboard.ts", import.meta.url);
export const DASHBOARD_HTML = modulePath("../../public/dashboard.html", import.meta.url);
/** Where the page's <style> takes uPlot's stylesheet, so nothing loads from elsewhere. */
const UPLOT_CSS_SLOT = "/* uplot.css */";

/** The dashboard page (uPlot's CSS inlined) and its bundled module, built in memory. */
export async function buildDashboardPage(): Promise<PageAssets> {
  const cssPath = createRequire(import.meta.url).resolve("uplot/dist/uPlot.min.css");
  const [template, css, js] = await Promise.all([
    readFile(DASHBOARD_HTML, "utf8"),
    readFile(cssPath, "utf8"),
    bundleForBrowser(DASHBOARD_ENTRY),
  ]);
  if (!template.includes(UPLOT_CSS_SLOT)) {
    throw new Error(`${DASHBOARD_HTML}: missing the ${UPLOT_CSS_SLOT} slot in its <style>`);
  }
  return { html: template.replace(UPLOT_CSS_SLOT, () => css), js };
}
