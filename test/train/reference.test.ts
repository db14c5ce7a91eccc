import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { initParams } from "../../src/core/model/init.ts";
import { DEFAULT_SPEC } from "../../src/core/model/presets.ts";
import { plansFromGlobalBatches } from "../../src/core/plan.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { paramLayout } from "../support/dense-stack.ts";
import { maxAbsDiff, referenceGradient, rmspropStep } from "../support/reference.ts";

// One epoch of 256 real MNIST samples in global batches of 128: exactly two RMSprop steps.
const SAMPLES = 256;
const BATCH = 128;
const SEED = 1;
// Keras 2 RMSprop defaults, written out here rather than imported from src/core.
const RMSPROP = { lr: 1e-3, rho: 0.9, eps: 1e-7 };
const TOLERANCE = 1e-5;

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
// With 2 workers, shard 0 holds samples 0..127 and shard 1 holds 128..255. Each batch takes
// 96 samples from one shard and 32 from the other, so the workers' shares differ: averaging
// the two workers' means with equal weight would be wrong too, not only summing.
const GLOBAL_BATCHES = [
  [...range(0, 96), ...range(128, 160)],
  [...range(96, 128), ...range(160, 256)],
];

let dataset: Dataset;
beforeAll(async () => {
  dataset = await loadIdxDataset();
});

function trainTwoSteps(workers: number) {
  const options = {
    dataset,
    workers,
    epochs: 1,
    batchSize: BATCH,
    seed: SEED,
    trainLimit: SAMPLES,
    testLimit: 100,
    out: false,
    checkpointDir: false,
  } as const;
  return trainWithHooks(options, {
    planEpoch: (partition) => plansFromGlobalBatches(partition, GLOBAL_BATCHES),
  });
}

/**
 * The same two steps in float64 plain JS: mean cross-entropy gradient over each global batch
 * (scaled by `gradScale`, to show what a sum over 2 workers would look like), then RMSprop.
 */
function referenceTwoSteps(gradScale = 1): Float64Array {
  const layout = paramLayout(DEFAULT_SPEC);
  const w = Float64Array.from(initParams(DEFAULT_SPEC, SEED));
  const ms = new Float64Array(w.length);
  const px = dataset.train.rows * dataset.train.cols;
  for (const batch of GLOBAL_BATCHES) {
    const x = batch.map((i) =>
      Float64Array.from(dataset.train.images.subarray(i * px, (i + 1) * px), (v) => v / 255),
    );
    const labels = batch.map((i) => dataset.train.labels[i]);
    const { grad } = referenceGradient(layout, w, x, labels);
    rmspropStep(
      RMSPROP,
      w,
      ms,
      grad.map((g) => g * gradScale),
    );
  }
  return w;
}

describe("a training step against an independent float64 reference", () => {
  test("two steps with 1 and with 2 workers give the reference's weights (max abs diff ≤ 1e-5)", async () => {
    const expected = referenceTwoSteps();
    for (const workers of [1, 2]) {
      const result = await trainTwoSteps(workers);
      expect(result.history[0]).toMatchObject({ epoch: 1 });
      expect(maxAbsDiff(result.params, expected)).toBeLessThanOrEqual(TOLERANCE);
    }
    // The weights did move: about lr·√10 per step for most of them.
    expect(maxAbsDiff(expected, initParams(DEFAULT_SPEC, SEED))).toBeGreaterThan(5e-3);
  });

  test("the comparison is sharp enough to catch a summed (2×) gradient", () => {
    // RMSprop is nearly scale-invariant; only ε breaks the tie, for small gradients.
    const expected = referenceTwoSteps();
    const summed = referenceTwoSteps(2);
    expect(maxAbsDiff(summed, expected)).toBeGreaterThan(10 * TOLERANCE);
  });
});
