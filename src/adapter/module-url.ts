/**
 * The URL of another source module relative to `base` (the caller's `import.meta.url`), named
 * by its `.ts` path. In the repository the sources run as `.ts`; in the npm package they are
 * compiled to `.js` (tsconfig.build.json), which rewrites import specifiers but not the
 * strings a Worker or a bundler is handed, so those take the extension of the running module.
 * Other files (`.html`) keep their names. No imports: the browser bundles of a joining tab
 * include it (through the worker pool).
 */
export function moduleUrl(path: string, base: string): URL {
  const ext = base.endsWith(".js") ? ".js" : ".ts";
  return new URL(path.replace(/\.ts$/, ext), base);
}
