import { describe, expect, test } from "bun:test";
import { epochPlans, partition } from "../../src/core/data/plan.ts";
import { Rng } from "../../src/core/data/rng.ts";

const draw = (rng: Rng, n = 8) => Array.from({ length: n }, () => rng.nextUint32());

describe("Rng.fromSeed", () => {
  test("the order of the seeds matters and equal values do not cancel", () => {
    expect(draw(Rng.fromSeed(1, 0, 1))).not.toEqual(draw(Rng.fromSeed(1, 1, 0)));
    expect(draw(Rng.fromSeed(7, 3, 3))).not.toEqual(draw(Rng.fromSeed(7, 0, 0)));
    expect(draw(Rng.fromSeed(2, 2))).not.toEqual(draw(Rng.fromSeed(0, 0)));
    expect(draw(Rng.fromSeed(5))).not.toEqual(draw(Rng.fromSeed(5, 0)));
  });

  test("64-bit and negative seeds use all their bits", () => {
    expect(draw(Rng.fromSeed(2 ** 32 + 1))).not.toEqual(draw(Rng.fromSeed(1)));
    expect(draw(Rng.fromSeed(-1))).not.toEqual(draw(Rng.fromSeed(2 ** 32 - 1)));
    expect(draw(Rng.fromSeed(42))).toEqual(draw(Rng.fromSeed(42)));
  });

  test("every (seed, epoch, worker) of a 5×5×4 grid shuffles its shard differently", () => {
    // The default run's shapes: 60,000 samples over 4 workers, batch 128.
    const parts = partition(60_000, 4, 128);
    const seen = new Map<string, string>();
    for (let seed = 1; seed <= 5; seed++) {
      for (let epoch = 0; epoch < 5; epoch++) {
        epochPlans(parts, seed, epoch).forEach((plan, worker) => {
          // Equal shard sizes, so two equal shuffles would have equal index arrays.
          const key = plan.indices.join(",");
          const where = `seed ${seed}, epoch ${epoch}, worker ${worker}`;
          expect(seen.get(key) ?? where).toBe(where);
          seen.set(key, where);
        });
      }
    }
    expect(seen.size).toBe(100);
  });
});
