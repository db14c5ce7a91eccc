import { resolveTrainConfig } from "./config.ts";
import type { TestHooks } from "./hooks.ts";
import { TrainingRun } from "./run.ts";
import type { TrainOptions, TrainResult } from "./types.ts";

/**
 * Trains the configured model (the MLP, a convnet) data-parallel on a pool of tfjs-wasm
 * workers. The main thread serves shards, hands out each epoch's plan and waits: the workers
 * reduce gradients and apply the optimizer themselves through the collective (src/collective/).
 */
export function train(options: TrainOptions = {}): Promise<TrainResult> {
  return trainWithHooks(options, {});
}

/** `train()` with test hooks (src/train/testing.ts); not part of the public API. */
export async function trainWithHooks(
  options: TrainOptions,
  hooks: TestHooks,
): Promise<TrainResult> {
  const config = resolveTrainConfig(options);
  options.signal?.throwIfAborted();
  const emit = options.onProgress ?? (() => {});
  const run = await TrainingRun.open({ config, emit, signal: options.signal, hooks });
  try {
    for (let epoch = run.firstEpoch; epoch < config.epochs; epoch++) {
      const seconds = await run.trainEpoch(epoch);
      await run.evaluate(epoch, seconds);
      await run.checkpoint(epoch);
    }
    return await run.save();
  } finally {
    await run.close();
  }
}
