import { describe, expect, test } from "bun:test";
import { multiHotArrays, multiHotSet, multiHotSpec } from "../../bench/multi-hot.ts";
import { initParams } from "../../src/core/model/init.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { sameGlobalBatches, smallRunOptions } from "../support/global-batches.ts";
import { maxAbsDiff } from "../support/reference.ts";

/**
 * Multi-hot data end to end, the book's IMDB model (16-16-1 sigmoid, binary cross-entropy):
 * CSR inputs, which workers keep as CSR rows and their first layer runs row by row (sparse
 * batches); N workers still compute what 1 worker computes, and it learns.
 */
describe("multi-hot inputs", () => {
  test("2 workers compute what 1 worker computes; the model learns", async () => {
    const sets = { train: multiHotSet(1000, 1), test: multiHotSet(600, 2) };
    const data = { train: multiHotArrays(sets.train), test: multiHotArrays(sets.test) };
    const run = (workers: number) =>
      trainWithHooks(
        {
          ...smallRunOptions(),
          data,
          model: multiHotSpec(),
          workers,
          epochs: 3,
          learningRate: 0.01,
        },
        sameGlobalBatches(),
      );
    const one = await run(1);
    const two = await run(2);
    expect(maxAbsDiff(two.params, one.params)).toBeLessThanOrEqual(1e-5);
    expect(two.history[2].testAccuracy).toBe(one.history[2].testAccuracy);
    expect(maxAbsDiff(one.params, initParams(one.spec, 1))).toBeGreaterThan(5e-3);
    // Better than always answering the test set's commoner label.
    expect(one.loss).toBe("binary_crossentropy");
    const ones = sets.test.labels.reduce((a, b) => a + b, 0) / sets.test.count;
    expect(one.history[2].testAccuracy).toBeGreaterThan(Math.max(ones, 1 - ones) + 0.04);
  }, 300_000);
});
