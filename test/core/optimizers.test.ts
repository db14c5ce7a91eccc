import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type OptimizerSpec, optimizerFor } from "../../src/core/optim/optimizer.ts";
import { KERAS_OPTIMIZERS } from "../../src/core/optim/spec.ts";
import { OPTIMIZER_CASES, referenceState, referenceStep } from "../support/optimizer-reference.ts";
import { mulberry } from "../support/random.ts";
import { maxAbsDiff } from "../support/reference.ts";

const gradient = (rand: () => number, n: number) =>
  Float32Array.from({ length: n }, () => (rand() - 0.5) * 10 ** (-6 * rand()));

describe.each(OPTIMIZER_CASES)("%s", (_, spec) => {
  const optimizer = optimizerFor(spec);

  test("matches a float64 reference of Keras's formula over several steps", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (n, steps, seed) => {
          const rand = mulberry(seed);
          const w0 = Array.from({ length: n }, () => rand() - 0.5);
          const params = Float32Array.from(w0);
          const state = optimizer.initialState(n);
          const w = Float64Array.from(w0);
          const expectedState = referenceState(spec, n);
          // The state's float32 rounding error is relative to the largest value it held (a
          // momentum can cancel down to far less).
          const peaks = expectedState.map(() => 1e-30);
          for (let t = 1; t <= steps; t++) {
            const g = gradient(rand, n);
            optimizer.update([g], params, state, params, state, 0, n, t);
            referenceStep(spec, t, w, expectedState, g);
            expectedState.forEach((v, k) => {
              peaks[k] = Math.max(peaks[k], ...v.map(Math.abs));
            });
          }
          expect(maxAbsDiff(params, w)).toBeLessThan(1e-6);
          state.forEach((vector, k) => {
            expect(maxAbsDiff(vector, expectedState[k]) / peaks[k]).toBeLessThan(1e-6);
          });
        },
      ),
    );
  });

  test("updating in slices equals updating the whole vector", () => {
    const rand = mulberry(5);
    const n = 101;
    const g = gradient(rand, n);
    const p = Float32Array.from({ length: n }, () => rand());
    const s = optimizer.initialState(n).map((v) => v.map((x) => x + rand() * 0.01));
    const whole = [new Float32Array(n), s.map(() => new Float32Array(n))] as const;
    optimizer.update([g], p, s, whole[0], whole[1], 0, n, 3);
    const sliced = [new Float32Array(n), s.map(() => new Float32Array(n))] as const;
    for (const [lo, hi] of [
      [0, 33],
      [33, 34],
      [34, 101],
    ])
      optimizer.update([g], p, s, sliced[0], sliced[1], lo, hi, 3);
    expect(sliced[0]).toEqual(whole[0]);
    expect(sliced[1]).toEqual(whole[1]);
  });

  test.each([2, 3])(
    "the fused reduce + update of %i rows equals updating with their float32 sum",
    (rows) => {
      const rand = mulberry(11 + rows);
      const n = 257;
      const grads = Array.from({ length: rows }, () => gradient(rand, n));
      const p = Float32Array.from({ length: n }, () => rand());
      const s = optimizer.initialState(n).map((v) => v.map((x) => x + rand() * 0.01));
      // The sum as a Float32Array accumulator makes it: row by row, rounded each time.
      const sum = new Float32Array(n);
      for (const g of grads) for (let i = 0; i < n; i++) sum[i] += g[i];
      const expected = [new Float32Array(n), s.map(() => new Float32Array(n))] as const;
      optimizer.update([sum], p, s, expected[0], expected[1], 3, n, 7);
      const fused = [new Float32Array(n), s.map(() => new Float32Array(n))] as const;
      optimizer.update(grads, p, s, fused[0], fused[1], 3, n, 7);
      expect(fused[0].subarray(3)).toEqual(expected[0].subarray(3));
      expect(fused[1]).toEqual(expected[1]);
      expect(fused[0][2]).toBe(0);
    },
  );
});

describe("what sets the optimizers apart", () => {
  test("Adam's first update moves every weight by lr against its gradient (bias correction)", () => {
    const n = 64;
    const rand = mulberry(3);
    const g = Float32Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * (0.01 + rand()));
    const adam = optimizerFor(KERAS_OPTIMIZERS.adam);
    const params = new Float32Array(n);
    adam.update([g], params, adam.initialState(n), params, adam.initialState(n), 0, n, 1);
    // α·m/(√v + ε) = lr·g/(|g| + ε/√(1 − β₂)) at t = 1: lr·sign(g), less 3e-4 relative here.
    for (let i = 0; i < n; i++) {
      const step = (1e-3 * Math.abs(g[i])) / (Math.abs(g[i]) + 1e-7 / Math.sqrt(0.001));
      expect(Math.abs(params[i] + Math.sign(g[i]) * step)).toBeLessThan(1e-10);
      expect(Math.abs(params[i])).toBeGreaterThan(0.9997e-3);
    }
  });

  test("the step count matters to Adam: the same state stepped as t = 1 and t = 100 differs", () => {
    const adam = optimizerFor(KERAS_OPTIMIZERS.adam);
    const moved = (t: number) => {
      const params = Float32Array.of(0);
      const state = [Float32Array.of(0.01), Float32Array.of(1e-4)];
      adam.update([Float32Array.of(0.1)], params, state, params, state, 0, 1, t);
      return params[0];
    };
    // Only α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) depends on t.
    const alpha = (t: number) => Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t);
    expect(moved(1) / moved(100)).toBeCloseTo(alpha(1) / alpha(100), 6);
  });

  test("AdamW decays the weights before Adam's step, by lr·wd", () => {
    const spec = { ...KERAS_OPTIMIZERS.adamw, weightDecay: 0.5, learningRate: 0.1 };
    const adamw = optimizerFor(spec);
    const params = Float32Array.of(2);
    adamw.update(
      [Float32Array.of(0)],
      params,
      adamw.initialState(1),
      params,
      adamw.initialState(1),
      0,
      1,
      1,
    );
    expect(params[0]).toBeCloseTo(2 * (1 - 0.1 * 0.5), 6);
  });

  test("state: names as Keras's variables, Adagrad's accumulator starts at its initial value", () => {
    const names = (spec: OptimizerSpec) => optimizerFor(spec).stateNames;
    expect(names(KERAS_OPTIMIZERS.rmsprop)).toEqual(["meanSquare"]);
    expect(names(KERAS_OPTIMIZERS.adam)).toEqual(["momentum", "velocity"]);
    expect(names(KERAS_OPTIMIZERS.adamw)).toEqual(["momentum", "velocity"]);
    expect(names(KERAS_OPTIMIZERS.sgd)).toEqual([]);
    expect(names({ ...KERAS_OPTIMIZERS.sgd, momentum: 0.5 })).toEqual(["momentum"]);
    expect(names(KERAS_OPTIMIZERS.adagrad)).toEqual(["accumulator"]);
    const [accumulator] = optimizerFor(KERAS_OPTIMIZERS.adagrad).initialState(3);
    expect(Array.from(accumulator)).toEqual([0.1, 0.1, 0.1].map(Math.fround));
  });
});
