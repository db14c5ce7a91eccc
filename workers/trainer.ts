/**
 * The training worker entry: spawn it as a module Worker and drive it with Comlink.
 *
 *   const worker = new Worker(new URL("shardfit/worker", import.meta.url), { type: "module" });
 *   const trainer = Comlink.wrap<TrainerWorker>(worker);
 */
import * as Comlink from "comlink";
import { TrainerWorker } from "./trainer-core.ts";

Comlink.expose(new TrainerWorker());

export type { TrainerWorker };
