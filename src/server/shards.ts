import { type Context, Hono } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { type DashboardOptions, dashboardRoutes } from "./dashboard.ts";
import { withJsonErrors } from "./errors.ts";

export interface ShardProvider {
  /**
   * Requests must send `Authorization: Bearer <token>`: one run token for every shard, or one
   * token per shard (a participant is told only its own shards' tokens).
   */
  readonly token: string | readonly string[];
  /** Number of shards; 0 while the run has not split its data yet. */
  readonly count: number;
  shard(index: number): Uint8Array;
}

const BEARER = /^Bearer ([!-~]+)$/;

/**
 * Why `auth` does not open shard `index` (any shard's token when the index is unknown), or
 * undefined when it does. Tokens are compared in constant time.
 */
async function refusal(provider: ShardProvider, index: number, auth: string | undefined) {
  if (!auth) return "missing run token: send Authorization: Bearer <token>";
  const sent = BEARER.exec(auth)?.[1];
  if (!sent) return 'malformed Authorization header: expected "Bearer <run token>"';
  const { token } = provider;
  const expected = typeof token === "string" ? [token] : index in token ? [token[index]] : token;
  let ok = false;
  for (const t of expected) ok = (await timingSafeEqual(sent, t)) || ok;
  return ok ? undefined : "wrong run token";
}

function unauthorized(c: Context, error: string) {
  c.header("WWW-Authenticate", 'Bearer realm="shardfit"');
  return c.json({ error }, 401);
}

/** `GET /shards/:index`: a worker's shard in the binary format of core/data/shard.ts. */
export function shardRoutes(provider: ShardProvider): Hono {
  const app = new Hono();
  app.get("/shards/:index", async (c) => {
    if (provider.count === 0) {
      return c.json({ error: "the run has not started yet: no shards to serve" }, 503);
    }
    const text = c.req.param("index");
    const index = /^\d+$/.test(text) ? Number(text) : -1;
    // The token is checked before the index, so a wrong token learns nothing about shards.
    const refused = await refusal(provider, index, c.req.header("authorization"));
    if (refused) return unauthorized(c, refused);
    if (index < 0 || index >= provider.count) {
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

/** A random run token (128 bits, hex). */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
