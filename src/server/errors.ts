import type { Hono } from "hono";

/**
 * The one not-found and error handler of every shardfit app: JSON bodies, and a 500 that
 * says nothing internal (the error goes to the log).
 */
export function withJsonErrors(app: Hono): Hono {
  app.notFound((c) =>
    c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404),
  );
  app.onError((error, c) => {
    console.error(error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
