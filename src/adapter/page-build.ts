import { readFile } from "node:fs/promises";
import type { PageAssets } from "../server/page.ts";
import { bundleOnBun } from "./bun/bundle.ts";
import { bundleOnDeno } from "./deno/bundle.ts";
import { modulePath } from "./fs/module-path.ts";
import { currentRuntime, unsupportedRuntime } from "./runtime.ts";

export const PAGE_ENTRY = modulePath("../../public/app.ts", import.meta.url);
export const PAGE_HTML = modulePath("../../public/index.html", import.meta.url);

/**
 * Bundles `public/app.ts` for the browser with the running runtime's own bundler, in memory,
 * so a fresh clone serves the page without a separate build step and the page always matches
 * the core modules it imports.
 */
export async function buildPage(): Promise<PageAssets> {
  const [html, js] = await Promise.all([readFile(PAGE_HTML, "utf8"), bundleForBrowser(PAGE_ENTRY)]);
  return { html, js };
}

/** Bundles a browser module (and all it imports) into one minified ES module. */
export function bundleForBrowser(entry: string): Promise<string> {
  const runtime = currentRuntime();
  if (runtime === "bun") return bundleOnBun(entry);
  if (runtime === "deno") return bundleOnDeno(entry);
  return Promise.reject(unsupportedRuntime("bundleForBrowser"));
}
