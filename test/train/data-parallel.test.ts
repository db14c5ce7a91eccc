import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { initParams } from "../../src/core/model/init.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { train } from "../../src/train/train.ts";
import { BATCH, SAMPLES, sameGlobalBatches, smallRun } from "../support/global-batches.ts";
import { mnistArraysFor } from "../support/mnist-arrays.ts";
import { maxAbsDiff } from "../support/reference.ts";

let dataset: Dataset;
beforeAll(async () => {
  dataset = await loadIdxDataset();
});

/** A small run with `workers` workers on the same global batches as any other worker count. */
function sameGlobalBatchesWith(workers: number) {
  return trainWithHooks({ ...smallRun(dataset), workers }, sameGlobalBatches());
}

describe("data parallelism", () => {
  test("N workers compute what 1 worker computes (N = 1, 2, 3)", async () => {
    const one = await sameGlobalBatchesWith(1);
    for (const n of [2, 3]) {
      const many = await sameGlobalBatchesWith(n);
      expect(maxAbsDiff(many.params, one.params)).toBeLessThanOrEqual(1e-5);
      expect(many.history[1].testAccuracy).toBe(one.history[1].testAccuracy);
      expect(many.history[1].trainLoss).toBeCloseTo(one.history[1].trainLoss, 5);
    }
    // And the weights did move: 16 RMSprop steps of lr 1e-3.
    expect(maxAbsDiff(one.params, initParams(one.spec, 1))).toBeGreaterThan(5e-3);
  });

  for (const loss of ["categorical_crossentropy", "binary_crossentropy", "mse", "mae", "huber"]) {
    test(`${loss} on arrays: N workers compute what 1 worker computes (N = 1, 3)`, async () => {
      const run = (workers: number) =>
        trainWithHooks(
          {
            data: mnistArraysFor(dataset, loss, SAMPLES, 600),
            loss,
            hidden: [32],
            epochs: 2,
            batchSize: BATCH,
            workers,
            out: false,
          },
          sameGlobalBatches(),
        );
      const [one, three] = [await run(1), await run(3)];
      expect(maxAbsDiff(three.params, one.params)).toBeLessThanOrEqual(1e-5);
      expect(three.history[1].trainLoss).toBeCloseTo(one.history[1].trainLoss, 5);
      expect(three.history[1].testLoss).toBeCloseTo(one.history[1].testLoss, 5);
      expect(three.kerasHistory).toEqual(
        expect.objectContaining({ loss: [expect.any(Number), expect.any(Number)] }),
      );
      expect(maxAbsDiff(one.params, initParams(one.spec, 1))).toBeGreaterThan(1e-3);
    });
  }

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
