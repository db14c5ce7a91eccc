import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { PngError } from "../core/image/png-error.ts";
import { RequestError } from "./predict-input.ts";

/**
 * The one not-found and error handler of every shardfit app, so routes just throw: a client's
 * mistake (RequestError, PngError) is a JSON 4xx naming it; anything else a 500 that says
 * nothing internal (the error goes to the log).
 */
export function withJsonErrors(app: Hono): Hono {
  app.notFound((c) =>
    c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404),
  );
  app.onError((error, c) => {
    if (error instanceof RequestError || error instanceof PngError) {
      return c.json({ error: error.message }, error.status);
    }
    // Middleware such as bearerAuth answers by throwing its response.
    if (error instanceof HTTPException) return error.getResponse();
    console.error(error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
