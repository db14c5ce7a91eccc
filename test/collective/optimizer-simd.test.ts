import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  OPTIMIZER_KERNELS,
  simdOptimizer,
  simdUnavailable,
} from "../../src/collective/optimizer-simd.ts";
import { type OptimizerSpec, optimizerFor } from "../../src/core/optim/optimizer.ts";
import { OPTIMIZER_CASES, referenceStep } from "../support/optimizer-reference.ts";
import { mulberry } from "../support/random.ts";

/**
 * `rows` gradient rows, params, the state vectors and their next copies, all in one shared
 * memory; the next copies filled with 7 to see what the update leaves alone.
 */
function arena(spec: OptimizerSpec, rows: number, n: number, seed: number) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const stride = Math.max(4, n) * 4 + 4; // rows not 16-byte aligned, as in the plane
  const rand = mulberry(seed);
  let slot = 0;
  // Filled in place: .map would copy out of the memory.
  const view = (value: () => number) => {
    const v = new Float32Array(memory.buffer, 8 + slot++ * stride, n);
    for (let i = 0; i < n; i++) v[i] = value();
    return v;
  };
  const grads = Array.from({ length: rows }, () =>
    view(() => (rand() - 0.5) * 10 ** (-6 * rand())),
  );
  const params = view(() => rand() - 0.5);
  // Signed state for a momentum, positive for the running squares.
  const signed = spec.type === "sgd" || spec.type.startsWith("adam");
  const stateNames = optimizerFor(spec).stateNames;
  const state = stateNames.map((name) =>
    view(() => (signed && name === "momentum" ? rand() - 0.5 : rand()) * 1e-3),
  );
  const nextParams = view(() => 7);
  const nextState = stateNames.map(() => view(() => 7));
  return { memory, grads, params, state, nextParams, nextState };
}

const bits = (a: Float32Array) =>
  Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));

describe("the wasm SIMD optimizer kernels", () => {
  test.each(Object.entries(OPTIMIZER_KERNELS))("%s's bytes validate here", (_, kernel) => {
    expect(WebAssembly.validate(kernel.bytes())).toBe(true);
  });

  describe.each(OPTIMIZER_CASES)("%s", (_, spec) => {
    test("is available here", () => {
      expect(simdUnavailable(spec)).toBeUndefined();
    });

    test("equals the TS loop bit for bit, for 1–4 rows, any slice and step, and writes only the slice", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 67 }),
          fc.nat(),
          fc.nat(),
          fc.integer({ min: 1, max: 100_000 }),
          fc.nat(),
          (rows, n, a, b, step, seed) => {
            const [lo, hi] = [a % (n + 1), b % (n + 1)].sort((x, y) => x - y);
            const { memory, grads, params, state, nextParams, nextState } = arena(
              spec,
              rows,
              n,
              seed,
            );
            const expected = [nextParams, ...nextState].map((v) => v.slice());
            const [expectedParams, ...expectedState] = expected;
            optimizerFor(spec).update(
              grads,
              params,
              state,
              expectedParams,
              expectedState,
              lo,
              hi,
              step,
            );
            simdOptimizer(memory, spec).update(
              grads,
              params,
              state,
              nextParams,
              nextState,
              lo,
              hi,
              step,
            );
            [nextParams, ...nextState].forEach((v, k) => {
              expect(bits(v)).toEqual(bits(expected[k]));
              expect(v.subarray(0, lo).every((x) => x === 7)).toBe(true);
              expect(v.subarray(hi).every((x) => x === 7)).toBe(true);
            });
          },
        ),
        { numRuns: 200 },
      );
    });

    test.each([1, 2, 3])("is within float32 rounding of a float64 reference, %i rows", (rows) => {
      const n = 1003; // [5, n − 1): 997 elements, so the TS loop does the odd last one
      const { memory, grads, params, state, nextParams, nextState } = arena(
        spec,
        rows,
        n,
        40 + rows,
      );
      simdOptimizer(memory, spec).update(grads, params, state, nextParams, nextState, 5, n - 1, 9);
      // The reference steps in float64 from the same float32 inputs and the rows' float32 sum
      // (the gradient as defined; the test above checks the kernel sums that way).
      const w = Float64Array.from(params);
      const s = state.map((v) => Float64Array.from(v));
      const g = new Float32Array(n);
      for (const row of grads) for (let i = 0; i < n; i++) g[i] += row[i];
      referenceStep(spec, 9, w, s, g);
      for (let i = 5; i < n - 1; i++) {
        // Rounding the results to float32 costs ≤ 2⁻²⁴ relative (and the state's rounding
        // reaches w only in later steps).
        expect(Math.abs(nextParams[i] - w[i])).toBeLessThanOrEqual(2 ** -24 * Math.abs(w[i]));
        nextState.forEach((v, k) => {
          expect(Math.abs(v[i] - s[k][i])).toBeLessThanOrEqual(2 ** -24 * Math.abs(s[k][i]));
        });
      }
    });
  });

  test("refuses arrays that are not views of its memory", () => {
    const spec = OPTIMIZER_CASES[1][1];
    const { memory, grads, state, nextParams, nextState } = arena(spec, 2, 8, 1);
    const update = () =>
      simdOptimizer(memory, spec).update(
        grads,
        new Float32Array(8),
        state,
        nextParams,
        nextState,
        0,
        8,
        1,
      );
    expect(update).toThrow("view of the kernel's memory");
  });
});
