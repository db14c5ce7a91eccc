import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { PageAssets } from "../server/page.ts";
import { bundleOnBun } from "./bun/bundle.ts";
import { bundleOnDeno } from "./deno/bundle.ts";
import { currentRuntime, unsupportedRuntime } from "./runtime.ts";

const PUBLIC_DIR = new URL("../../public/", import.meta.url);
export const PAGE_ENTRY = fileURLToPath(new URL("app.ts", PUBLIC_DIR));
export const PAGE_HTML = fileURLToPath(new URL("index.html", PUBLIC_DIR));

/**
 * Bundles `public/app.ts` for the browser with the running runtime's own bundler, in memory,
 * so a fresh clone serves the page without a separate build step and the page always matches
 * the core modules it imports.
 */
export async function buildPage(): Promise<PageAssets> {
  const [html, js] = await Promise.all([readFile(PAGE_HTML, "utf8"), bundle(PAGE_ENTRY)]);
  return { html, js };
}

/** Bundles a browser module (ESM, minified) with the running runtime's bundler. */
export function bundle(entry: string): Promise<string> {
  const runtime = currentRuntime();
  if (runtime === "bun") return bundleOnBun(entry);
  if (runtime === "deno") return bundleOnDeno(entry);
  return Promise.reject(unsupportedRuntime("buildPage"));
}
