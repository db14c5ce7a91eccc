/**
 * The training worker of a browser tab that joined a run: the same TrainerWorker as every
 * other worker, bundled by the coordinator and served at /join/trainer.js.
 */
import { env } from "@tensorflow/tfjs-core";
import { PlatformBrowser } from "@tensorflow/tfjs-core/dist/platforms/platform_browser.js";
import * as Comlink from "comlink";
import { TrainerWorker } from "../../../worker/trainer.ts";

// Bun's bundler drops tfjs-core's platform registration (a side-effect-only import), so the
// bundle registers the browser platform itself.
if (!env().platform) env().setPlatform("browser", new PlatformBrowser());

// No package resolution in a browser: the coordinator serves the .wasm files here.
(globalThis as { SHARDFIT_WASM_PATH?: string }).SHARDFIT_WASM_PATH = new URL(
  "/join/wasm/",
  self.location.href,
).href;

Comlink.expose(new TrainerWorker());
