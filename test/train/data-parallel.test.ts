import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { ArrayDataset } from "../../src/core/data/arrays.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { initParams } from "../../src/core/model/init.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { train } from "../../src/train/train.ts";
import { BATCH, SAMPLES, sameGlobalBatches, smallRun } from "../support/global-batches.ts";
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

  /** The first samples of MNIST as arrays, with targets made for `loss`. */
  function arraysFor(loss: string): ArrayDataset {
    const split = (set: Dataset["train"], n: number) => {
      const x = { data: Float32Array.from(set.images.subarray(0, n * 784), (v) => v / 255) };
      const labels = set.labels.subarray(0, n);
      const y =
        loss === "binary_crossentropy"
          ? {
              kind: "classes" as const,
              data: Int32Array.from(labels, (l) => (l >= 5 ? 1 : 0)),
              classes: 2,
            }
          : loss === "categorical_crossentropy"
            ? {
                kind: "one-hot" as const,
                data: Float32Array.from({ length: n * 10 }, (_, i) =>
                  labels[Math.floor(i / 10)] === i % 10 ? 1 : 0,
                ),
                classes: 10,
              }
            : {
                kind: "numbers" as const,
                data: Float32Array.from(labels, (l) => l / 9),
                outputs: 1,
              };
      return { x: { ...x, shape: [n, 784] }, y };
    };
    return { train: split(dataset.train, SAMPLES), test: split(dataset.test, 600) };
  }

  for (const loss of ["categorical_crossentropy", "binary_crossentropy", "mse", "mae", "huber"]) {
    test(`${loss} on arrays: N workers compute what 1 worker computes (N = 1, 3)`, async () => {
      const run = (workers: number) =>
        trainWithHooks(
          {
            data: arraysFor(loss),
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
