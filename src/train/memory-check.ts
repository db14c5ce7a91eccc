import { totalmem } from "node:os";
import { describeLayer } from "../core/model/describe.ts";
import { formatBytes, trainingMemory } from "../core/model/memory.ts";
import { type ModelSpec, modelLayout } from "../core/model/sequential.ts";
import { optimizerFor, rmsprop } from "../core/optim/optimizer.ts";
import type { TrainConfig } from "./config.ts";

/** A wasm memory (each worker thread's step) holds at most 2^32 bytes. */
const WASM_MEMORY_LIMIT = 2 ** 32;

/**
 * Refuses a model whose training would not fit this machine, before anything is allocated:
 * the error names where the model came from, the layer that needs the most and the figures.
 */
export function checkTrainingMemory(
  spec: ModelSpec,
  config: Pick<TrainConfig, "workers" | "batchSize"> & Partial<Pick<TrainConfig, "optimizer">>,
  source: string,
  available: number = totalmem(),
): void {
  const layout = modelLayout(spec);
  const threads = config.workers;
  const need = trainingMemory(layout, {
    threads,
    batchPerThread: Math.ceil(config.batchSize / threads),
    optimizerSlots: optimizerFor(config.optimizer ?? rmsprop()).stateNames.length,
  });
  const { index, name, bytes } = need.largest;
  const layer = `layer ${index} (${describeLayer(spec.layers[index])}, "${name}") needs ${formatBytes(bytes)}`;
  if (need.bytes > available) {
    throw new Error(
      `${source}: training needs about ${formatBytes(need.bytes)} with ${threads} workers at batch ${config.batchSize}; this machine has ${formatBytes(available)}. Its largest, ${layer}: make it smaller, or lower --workers or --batch-size`,
    );
  }
  if (need.perThreadBytes > WASM_MEMORY_LIMIT) {
    throw new Error(
      `${source}: a worker thread's step needs about ${formatBytes(need.perThreadBytes)}; its WebAssembly memory holds at most 4 GiB. Its largest, ${layer}: make it smaller or lower --batch-size`,
    );
  }
}
