import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { KERAS_RMSPROP, rmspropUpdate, rmspropUpdateSum } from "../../src/core/optim/rmsprop.ts";
import { mulberry } from "../support/random.ts";
import { maxAbsDiff, referenceRmsprop } from "../support/reference.ts";

describe("RMSprop as Keras 2 / tf.keras define it", () => {
  test("matches a plain reference of Keras's formula over several steps", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (n, steps, seed) => {
          const rand = mulberry(seed);
          const w0 = Array.from({ length: n }, () => rand() - 0.5);
          const grads = Array.from({ length: steps }, () =>
            Array.from({ length: n }, () => (rand() - 0.5) * 10 ** (-6 * rand())),
          );
          const params = Float32Array.from(w0);
          const ms = new Float32Array(n);
          for (const g of grads)
            rmspropUpdate(KERAS_RMSPROP, Float32Array.from(g), params, ms, params, ms);
          const expected = referenceRmsprop(1e-3, 0.9, 1e-7, w0, grads);
          expect(maxAbsDiff(params, expected)).toBeLessThan(1e-6);
        },
      ),
    );
  });

  test("eps sits outside the square root (Keras 2), not inside (tfjs, Keras 3)", () => {
    // With g = 1e-7 and empty history: Keras moves by lr·g/(√(0.1)·g + eps) ≈ 7.6e-4;
    // tfjs's √(ms + eps) form would move by only ≈ 3e-7.
    const params = Float32Array.of(0);
    rmspropUpdate(
      KERAS_RMSPROP,
      Float32Array.of(1e-7),
      params,
      new Float32Array(1),
      params,
      new Float32Array(1),
    );
    expect(-params[0]).toBeCloseTo(1e-3 / (Math.sqrt(0.1) + 1), 6);
  });

  test("updating in slices equals updating the whole vector", () => {
    const rand = mulberry(5);
    const n = 101;
    const g = Float32Array.from({ length: n }, () => rand() - 0.5);
    const p = Float32Array.from({ length: n }, () => rand());
    const ms = Float32Array.from({ length: n }, () => rand() * 0.01);
    const whole = [p.slice(), ms.slice()];
    rmspropUpdate(KERAS_RMSPROP, g, p, ms, whole[0], whole[1]);
    const sliced = [new Float32Array(n), new Float32Array(n)];
    for (const [lo, hi] of [
      [0, 33],
      [33, 34],
      [34, 101],
    ])
      rmspropUpdate(KERAS_RMSPROP, g, p, ms, sliced[0], sliced[1], lo, hi);
    expect(Array.from(sliced[0])).toEqual(Array.from(whole[0]));
    expect(Array.from(sliced[1])).toEqual(Array.from(whole[1]));
  });

  test.each([2, 3])(
    "the fused reduce + update of %i gradient rows equals updating with their float32 sum",
    (rows) => {
      const rand = mulberry(11 + rows);
      const n = 257;
      const grads = Array.from({ length: rows }, () =>
        Float32Array.from({ length: n }, () => rand() - 0.5),
      );
      const p = Float32Array.from({ length: n }, () => rand());
      const ms = Float32Array.from({ length: n }, () => rand() * 0.01);
      // The sum as a Float32Array accumulator makes it: row by row, rounded each time.
      const sum = new Float32Array(n);
      for (const g of grads) for (let i = 0; i < n; i++) sum[i] += g[i];
      const expected = [new Float32Array(n), new Float32Array(n)];
      rmspropUpdate(KERAS_RMSPROP, sum, p, ms, expected[0], expected[1]);
      const fused = [new Float32Array(n), new Float32Array(n)];
      rmspropUpdateSum(KERAS_RMSPROP, grads, p, ms, fused[0], fused[1], 3, n);
      expect(Array.from(fused[0].subarray(3))).toEqual(Array.from(expected[0].subarray(3)));
      expect(Array.from(fused[1].subarray(3))).toEqual(Array.from(expected[1].subarray(3)));
      expect(fused[0][2]).toBe(0);
    },
  );
});
