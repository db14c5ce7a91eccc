import { Hono } from "hono";
import type { LoadedModel } from "../core/layers-format.ts";
import { type DashboardOptions, dashboardRoutes } from "./dashboard.ts";
import { predictRoutes } from "./predict.ts";
import { type ShardProvider, shardRoutes } from "./shards.ts";

export interface AppOptions {
  /** Serve training shards (the training server). */
  readonly shards?: ShardProvider;
  /** Serve a trained model: /predict, /model, /model.json, /weights.bin (the predict server). */
  readonly model?: LoadedModel;
  /** Serve the read-only training dashboard: /dashboard, /dashboard.js, /events. */
  readonly dashboard?: DashboardOptions;
}

/**
 * The one Hono app every runtime serves. The training coordinator mounts the shard route;
 * the predict server mounts the model routes.
 */
export function createApp(options: AppOptions = {}): Hono {
  const app = new Hono();
  if (options.shards) app.route("/", shardRoutes(options.shards));
  if (options.model) app.route("/", predictRoutes(options.model));
  if (options.dashboard) app.route("/", dashboardRoutes(options.dashboard));
  app.get("/health", (c) => c.json({ ok: true }));
  app.notFound((c) =>
    c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404),
  );
  app.onError((error, c) => {
    console.error(error);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
