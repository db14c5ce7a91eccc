import type { Hono } from "hono";

/** The drawing page: its HTML and the bundled browser module it loads from `/app.js`. */
export interface PageAssets {
  readonly html: string;
  readonly js: string;
}

/**
 * Mounts `GET /` and `GET /app.js` on `app`. The assets arrive as strings (or a promise of
 * them) rather than as files so the same routes work on workerd, which has no filesystem;
 * a promise lets Bun and Deno start listening while the page is still being bundled.
 */
export function mountPage(app: Hono, page: PageAssets | Promise<PageAssets>): Hono {
  const assets = Promise.resolve(page);
  // Reported once here; requests then get a 500 instead of an unhandled rejection.
  assets.catch((error) => console.error(`page: bundling failed: ${(error as Error).message}`));
  app.get("/", async (c) => {
    const { html } = await assets;
    return c.html(html, 200, { "cache-control": "no-cache" });
  });
  app.get("/app.js", async (c) => {
    const { js } = await assets;
    return c.body(js, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
    });
  });
  return app;
}
