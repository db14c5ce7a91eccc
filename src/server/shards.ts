import { type Context, Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { type DashboardOptions, dashboardRoutes } from "./dashboard.ts";
import { withJsonErrors } from "./errors.ts";

export interface ShardProvider {
  /** The run's secret: requests must send `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly count: number;
  shard(index: number): Uint8Array;
}

/** `GET /shards/:index`: a worker's shard in the binary format of core/shard.ts. */
export function shardRoutes(provider: ShardProvider): Hono {
  const app = new Hono();
  // bearerAuth compares in constant time, so response timing does not leak the token.
  app.use(
    "/shards/*",
    bearerAuth({
      token: provider.token,
      noAuthenticationHeader: {
        message: unauthorized("missing run token: send Authorization: Bearer <token>"),
      },
      invalidAuthenticationHeader: {
        message: unauthorized('malformed Authorization header: expected "Bearer <run token>"'),
      },
      invalidToken: { message: unauthorized("wrong run token") },
    }),
  );
  app.get("/shards/:index", (c) => {
    const text = c.req.param("index");
    const index = Number(text);
    if (!/^\d+$/.test(text) || index >= provider.count) {
      return c.json(
        { error: `shard index must be an integer in 0..${provider.count - 1}, got "${text}"` },
        404,
      );
    }
    const bytes = provider.shard(index);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/octet-stream",
      "cache-control": "no-store",
    });
  });
  return app;
}

/**
 * The training coordinator's app: the shard route, `/health` and optionally the read-only
 * dashboard; nothing of the predict server (no model, no PNG decoding).
 */
export function createShardApp(
  provider: ShardProvider,
  options: { dashboard?: DashboardOptions } = {},
): Hono {
  const app = new Hono();
  app.route("/", shardRoutes(provider));
  if (options.dashboard) app.route("/", dashboardRoutes(options.dashboard));
  app.get("/health", (c) => c.json({ ok: true }));
  return withJsonErrors(app);
}

/** A 401 JSON answer for bearerAuth (whose default would be plain text, or 400). */
function unauthorized(error: string) {
  return (c: Context) => c.json({ error }, 401);
}

/** A random run token (128 bits, hex). */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
