import { totalmem } from "node:os";
import { type SampleData, sampleBytes } from "../core/data/dataset.ts";
import { describeLayer } from "../core/model/describe.ts";
import { formatBytes, trainingMemory } from "../core/model/memory.ts";
import { type ModelSpec, modelLayout } from "../core/model/sequential.ts";
import { optimizerFor, rmsprop } from "../core/optim/optimizer.ts";
import { modelSource, type TrainConfig } from "./config.ts";

type RunShape = Pick<TrainConfig, "workers" | "batchSize"> &
  Partial<Pick<TrainConfig, "optimizer">>;

/** A wasm memory (each worker thread's step) holds at most 2^32 bytes. */
const WASM_MEMORY_LIMIT = 2 ** 32;

/**
 * Copies of the data a run holds: the loaded samples, the coordinator's encoded shards and the
 * workers' decoded ones (a shard is no larger than its samples as held: CSR rows stay rows).
 */
const DATA_COPIES = 3;

/**
 * Refuses a model whose training would not fit this machine, before anything is allocated:
 * the error names where the model came from, the layer that needs the most and the figures.
 * `data`'s samples count as they are held (CSR rows, not the dense block they stand for).
 */
export function checkTrainingMemory(
  spec: ModelSpec,
  config: RunShape,
  source: string,
  available: number = totalmem(),
  data?: SampleData,
): void {
  const threads = config.workers;
  const { need, layer, dataBytes } = estimate(spec, config, data);
  if (need.bytes + dataBytes > available) {
    const ofData = dataBytes > 0 ? ` (${formatBytes(dataBytes)} of it the data)` : "";
    throw new Error(
      `${source}: training needs about ${formatBytes(need.bytes + dataBytes)}${ofData} with ${threads} workers at batch ${config.batchSize}; this machine has ${formatBytes(available)}. Its largest, ${layer}: make it smaller, or lower --workers or --batch-size`,
    );
  }
  if (need.perThreadBytes > WASM_MEMORY_LIMIT) {
    throw new Error(
      `${source}: a worker thread's step needs about ${formatBytes(need.perThreadBytes)}; its WebAssembly memory holds at most 4 GiB. Its largest, ${layer}: make it smaller or lower --batch-size`,
    );
  }
}

/** The run's estimated memory (the model's; the data's apart), and its largest layer in words. */
function estimate(spec: ModelSpec, config: RunShape, data?: SampleData) {
  const need = trainingMemory(modelLayout(spec), {
    threads: config.workers,
    batchPerThread: Math.ceil(config.batchSize / config.workers),
    optimizerSlots: optimizerFor(config.optimizer ?? rmsprop()).stateNames.length,
  });
  const { index, name, bytes } = need.largest;
  const layer = `layer ${index} (${describeLayer(spec.layers[index])}, "${name}") needs ${formatBytes(bytes)}`;
  const dataBytes = data ? DATA_COPIES * (sampleBytes(data.train) + sampleBytes(data.test)) : 0;
  return { need, layer, dataBytes };
}

/** Whether `error` is a runtime's failure to allocate (V8's and JavaScriptCore's wording). */
export function isAllocationFailure(error: unknown): error is RangeError {
  return (
    error instanceof RangeError &&
    /allocation failed|out of memory|could not allocate/i.test(error.message)
  );
}

/**
 * Runs `start`; an allocation failure in it is restated naming the model's source, its largest
 * layer and the estimate, instead of a bare "Out of memory".
 */
export async function withAllocationContext<T>(
  spec: ModelSpec,
  config: RunShape & Pick<TrainConfig, "model">,
  start: () => Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (!isAllocationFailure(error)) throw error;
    const { need, layer } = estimate(spec, config);
    throw new Error(
      `${modelSource(config.model)}: out of memory while setting up the run (${error.message}); it needs about ${formatBytes(need.bytes)}, its largest, ${layer}: make it smaller, or lower --workers or --batch-size`,
      { cause: error },
    );
  }
}
