import { Hono } from "hono";
import type { LoadedModel } from "../core/model/layers-json.ts";
import { withJsonErrors } from "./errors.ts";
import { predictRoutes } from "./predict.ts";

export interface AppOptions {
  /** The trained model: /predict, /model, /model.json, /weights.bin. */
  readonly model: LoadedModel;
}

/** The predict app every runtime serves (Bun, Deno, workerd); the page mounts on top. */
export function createApp(options: AppOptions): Hono {
  const app = new Hono();
  app.route("/", predictRoutes(options.model));
  return withJsonErrors(app);
}
