import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { initParams } from "../../src/core/init.ts";
import { plansFromGlobalBatches } from "../../src/core/plan.ts";
import { Rng } from "../../src/core/rng.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { train } from "../../src/train/train.ts";
import { maxAbsDiff } from "../support/reference.ts";

// 1000 samples in batches of 128: 7 full steps and a partial one of 104, for 2 epochs.
const SAMPLES = 1000;
const BATCH = 128;
let dataset: Dataset;
beforeAll(async () => {
  dataset = await loadIdxDataset();
});

/** The same global batches whatever the worker count: one seeded permutation per epoch. */
function sameGlobalBatches(workers: number) {
  const options = {
    dataset,
    workers,
    epochs: 2,
    batchSize: BATCH,
    trainLimit: SAMPLES,
    testLimit: 600,
    out: false,
  } as const;
  return trainWithHooks(options, {
    planEpoch: (partition, epoch) => {
      const order = Rng.fromSeed(77, epoch).shuffle(
        Int32Array.from({ length: SAMPLES }, (_, i) => i),
      );
      const batches = Array.from({ length: Math.ceil(SAMPLES / BATCH) }, (_, s) =>
        order.subarray(s * BATCH, (s + 1) * BATCH),
      );
      return plansFromGlobalBatches(partition, batches);
    },
  });
}

describe("data parallelism", () => {
  test("N workers compute what 1 worker computes (N = 1, 2, 3)", async () => {
    const one = await sameGlobalBatches(1);
    for (const n of [2, 3]) {
      const many = await sameGlobalBatches(n);
      expect(maxAbsDiff(many.params, one.params)).toBeLessThanOrEqual(1e-5);
      expect(many.history[1].testAccuracy).toBe(one.history[1].testAccuracy);
      expect(many.history[1].trainLoss).toBeCloseTo(one.history[1].trainLoss, 5);
    }
    // And the weights did move: 16 RMSprop steps of lr 1e-3.
    expect(maxAbsDiff(one.params, initParams(one.spec, 1))).toBeGreaterThan(5e-3);
  });

  test("tensor counts in the workers stay flat across epochs", async () => {
    const r = await train({
      dataset,
      workers: 2,
      epochs: 3,
      trainLimit: 600,
      testLimit: 600,
      out: false,
    });
    expect(r.history.map((h) => h.liveTensors)).toEqual([
      r.history[0].liveTensors,
      r.history[0].liveTensors,
      r.history[0].liveTensors,
    ]);
  });
});
