/**
 * Small runs whose global batches do not depend on how many workers share them, so runs with
 * different worker counts, transports or runtimes can be compared weight for weight.
 * Runtime-free: Bun and Deno tests both use it.
 */
import type { Dataset } from "../../src/core/data/dataset.ts";
import { plansFromGlobalBatches } from "../../src/core/data/plan.ts";
import { Rng } from "../../src/core/data/rng.ts";
import type { TestHooks } from "../../src/train/testing.ts";
import type { TrainOptions } from "../../src/train/types.ts";

// 1000 samples in batches of 128: 7 full steps and a partial one of 104 per epoch.
export const SAMPLES = 1000;
export const BATCH = 128;

/** The same global batches whatever the slot count: one seeded permutation per epoch. */
export function sameGlobalBatches(samples = SAMPLES): TestHooks {
  return {
    planEpoch: (partition, epoch) => {
      const order = Rng.fromSeed(77, epoch).shuffle(
        Int32Array.from({ length: samples }, (_, i) => i),
      );
      const batches = Array.from({ length: Math.ceil(samples / BATCH) }, (_, s) =>
        order.subarray(s * BATCH, (s + 1) * BATCH),
      );
      return plansFromGlobalBatches(partition, batches);
    },
  };
}

/** Two epochs of the first `samples` training samples, evaluated on 600, nothing saved. */
export function smallRun(dataset: Dataset, samples = SAMPLES): TrainOptions {
  return { dataset, ...smallRunOptions(samples) };
}

/** `smallRun`'s options without its data (for `train({ data })`). */
export function smallRunOptions(samples = SAMPLES): TrainOptions {
  return { epochs: 2, batchSize: BATCH, trainLimit: samples, testLimit: 600, out: false };
}
