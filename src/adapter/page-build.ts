import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { PageAssets } from "../server/page.ts";

const PUBLIC_DIR = new URL("../../public/", import.meta.url);
export const PAGE_ENTRY = fileURLToPath(new URL("app.ts", PUBLIC_DIR));
export const PAGE_HTML = fileURLToPath(new URL("index.html", PUBLIC_DIR));

/**
 * Bundles `public/app.ts` for the browser with the running runtime's own bundler (Bun.build,
 * or `deno bundle` under Deno), in memory, so a fresh clone serves the page without a
 * separate build step and the page always matches the core modules it imports.
 */
export async function buildPage(): Promise<PageAssets> {
  const [html, js] = await Promise.all([readFile(PAGE_HTML, "utf8"), bundleForBrowser(PAGE_ENTRY)]);
  return { html, js };
}

/** Bundles a browser module (and everything it imports) into one minified ES module. */
export async function bundleForBrowser(entry: string): Promise<string> {
  if (typeof Bun !== "undefined") {
    const result = await Bun.build({
      entrypoints: [entry],
      target: "browser",
      format: "esm",
      minify: true,
    });
    if (!result.success) {
      throw new Error(`${entry}: ${result.logs.map((l) => l.message).join("; ")}`);
    }
    return await result.outputs[0].text();
  }
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (deno) {
    const args = ["bundle", "--quiet", "--platform", "browser", "--minify", entry];
    return await new Promise((resolve, reject) => {
      execFile(deno.execPath(), args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`deno bundle ${entry}: ${stderr || error.message}`));
        else resolve(stdout);
      });
    });
  }
  throw new Error("buildPage: unsupported runtime (use Bun or Deno)");
}
