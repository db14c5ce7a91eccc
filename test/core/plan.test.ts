import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  epochPlans,
  partition,
  plansFromGlobalBatches,
  splitCount,
} from "../../src/core/data/plan.ts";
import { Rng } from "../../src/core/data/rng.ts";

describe("epoch plans", () => {
  test("every sample is used exactly once per epoch, in full global batches", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 300 }),
        (total, workers, batch) => {
          fc.pre(batch >= workers);
          const p = partition(total, workers, batch);
          expect(p.shardSizes.reduce((a, b) => a + b, 0)).toBe(total);
          const plans = epochPlans(p, 42, 3);
          for (let s = 0; s < p.steps; s++) {
            const step = plans.reduce((a, plan) => a + plan.counts[s], 0);
            expect(step).toBe(s < p.steps - 1 ? batch : total - (p.steps - 1) * batch);
            expect(plans[0].globalCounts[s]).toBe(step);
          }
          plans.forEach((plan, w) => {
            expect(plan.counts.reduce((a, b) => a + b, 0)).toBe(p.shardSizes[w]);
            expect(Array.from(plan.indices).sort((a, b) => a - b)).toEqual(
              Array.from({ length: p.shardSizes[w] }, (_, i) => i),
            );
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  test("shuffles differ by epoch and repeat for the same seed", () => {
    const p = partition(1000, 2, 128);
    const a = epochPlans(p, 1, 0)[0].indices;
    expect(Array.from(epochPlans(p, 1, 0)[0].indices)).toEqual(Array.from(a));
    expect(Array.from(epochPlans(p, 1, 1)[0].indices)).not.toEqual(Array.from(a));
    expect(Array.from(epochPlans(p, 2, 0)[0].indices)).not.toEqual(Array.from(a));
  });

  test("splitCount spreads the remainder over the first workers", () => {
    expect(splitCount(128, 3)).toEqual([43, 43, 42]);
    expect(splitCount(2, 3)).toEqual([1, 1, 0]);
  });

  test("global batches replay on any number of workers", () => {
    const total = 500;
    const order = Rng.fromSeed(9).shuffle(Int32Array.from({ length: total }, (_, i) => i));
    const batches = Array.from({ length: Math.ceil(total / 64) }, (_, s) =>
      order.subarray(s * 64, (s + 1) * 64),
    );
    for (const workers of [1, 2, 3]) {
      const p = partition(total, workers, 64);
      const plans = plansFromGlobalBatches(p, batches);
      const starts = plans.map(() => 0);
      batches.forEach((batch, s) => {
        const replayed: number[] = [];
        plans.forEach((plan, w) => {
          for (let i = 0; i < plan.counts[s]; i++)
            replayed.push(plan.indices[starts[w] + i] + p.shardOffsets[w]);
          starts[w] += plan.counts[s];
        });
        expect(replayed.sort((a, b) => a - b)).toEqual(Array.from(batch).sort((a, b) => a - b));
      });
    }
  });
});

describe("Rng", () => {
  test("is deterministic, uniform-ish and its state round-trips", () => {
    const a = Rng.fromSeed(123);
    const b = new Rng(a.state());
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
