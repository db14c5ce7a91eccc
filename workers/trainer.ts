/**
 * The training worker entry: spawn it as a module Worker and drive it with Comlink.
 *
 *   const worker = new Worker(import.meta.resolve("shardfit/worker"), { type: "module" });
 *   const trainer = Comlink.wrap<TrainerWorker>(worker);
 */
import * as Comlink from "comlink";
import { TrainerWorker } from "../src/worker/trainer.ts";

Comlink.expose(new TrainerWorker());

export type { TrainerWorker };
