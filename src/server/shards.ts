import { Hono } from "hono";
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
  app.get("/shards/:index", (c) => {
    if (c.req.header("authorization") !== `Bearer ${provider.token}`) {
      return c.json({ error: "missing or wrong run token (Authorization: Bearer …)" }, 401);
    }
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
 * The training coordinator's app: the shard route and `/health`, nothing of the predict
 * server (no model, no PNG decoding).
 */
export function createShardApp(provider: ShardProvider): Hono {
  const app = new Hono();
  app.route("/", shardRoutes(provider));
  app.get("/health", (c) => c.json({ ok: true }));
  return withJsonErrors(app);
}

/** A random run token (128 bits, hex). */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
