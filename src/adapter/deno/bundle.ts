import { execFile } from "node:child_process";

/** Bundles a browser module with `deno bundle` (Deno fetches its esbuild on first use). */
export function bundleOnDeno(entry: string): Promise<string> {
  const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno;
  const args = ["bundle", "--quiet", "--platform", "browser", "--minify", entry];
  return new Promise((resolve, reject) => {
    execFile(deno.execPath(), args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`deno bundle ${entry}: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}
