import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RMSPROP_KERNEL, simdRmsprop } from "../../src/collective/rmsprop-simd.ts";
import { rmsprop } from "../../src/core/optimizer.ts";
import { rmspropUpdateSum } from "../../src/core/rmsprop.ts";
import { mulberry } from "../support/random.ts";
import { rmspropStep } from "../support/reference.ts";

const spec = rmsprop();

/** rows gradient rows, params, meanSquare and the two next copies, all in one shared memory. */
function arena(rows: number, n: number, seed: number) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
  const stride = Math.max(4, n) * 4 + 4; // rows not 16-byte aligned, as in the plane
  const rand = mulberry(seed);
  // Filled in place: .map would copy out of the memory.
  const view = (k: number, value: () => number) => {
    const v = new Float32Array(memory.buffer, 8 + k * stride, n);
    for (let i = 0; i < n; i++) v[i] = value();
    return v;
  };
  const grads = Array.from({ length: rows }, (_, r) =>
    view(r, () => (rand() - 0.5) * 10 ** (-6 * rand())),
  );
  const params = view(rows, () => rand() - 0.5);
  const meanSquare = view(rows + 1, () => rand() * 1e-3);
  const next = [view(rows + 2, () => 7), view(rows + 3, () => 7)];
  return { memory, grads, params, meanSquare, next };
}

describe("the wasm SIMD RMSprop kernel", () => {
  test("its bytes validate here (WebAssembly SIMD is available)", () => {
    expect(WebAssembly.validate(RMSPROP_KERNEL.bytes())).toBe(true);
  });

  test("equals the JS loop bit for bit, for 1–4 rows and any slice, and writes only the slice", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 67 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (rows, n, a, b, seed) => {
          const [lo, hi] = [a % (n + 1), b % (n + 1)].sort((x, y) => x - y);
          const { memory, grads, params, meanSquare, next } = arena(rows, n, seed);
          const expected = [next[0].slice(), next[1].slice()];
          rmspropUpdateSum(spec, grads, params, meanSquare, expected[0], expected[1], lo, hi);
          simdRmsprop(memory, spec).update(grads, params, [meanSquare], next[0], [next[1]], lo, hi);
          expect(bits(next[0])).toEqual(bits(expected[0]));
          expect(bits(next[1])).toEqual(bits(expected[1]));
          expect(next[0].subarray(0, lo).every((v) => v === 7)).toBe(true);
          expect(next[0].subarray(hi).every((v) => v === 7)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test.each([1, 2, 3])("is within float32 rounding of a float64 reference, %i rows", (rows) => {
    const n = 1003; // [5, n − 1): 997 elements, so the one-by-one tail runs too
    const { memory, grads, params, meanSquare, next } = arena(rows, n, 40 + rows);
    simdRmsprop(memory, spec).update(grads, params, [meanSquare], next[0], [next[1]], 5, n - 1);
    // The reference sums the rows and steps in float64 from the same float32 inputs.
    const w = Float64Array.from(params);
    const ms = Float64Array.from(meanSquare);
    const g = Array.from(params, (_, i) => grads.reduce((s, row) => s + row[i], 0));
    rmspropStep({ lr: spec.learningRate, rho: spec.rho, eps: spec.epsilon }, w, ms, g);
    for (let i = 5; i < n - 1; i++) {
      // Rounding the result to float32 costs ≤ 2⁻²⁴ relative; each float32 add of the rows
      // as much on g, which moves ms by ≤ 2·rows·2⁻²⁴ relative and w by ≤ lr·that ≪ 2⁻²⁴.
      expect(Math.abs(next[0][i] - w[i])).toBeLessThanOrEqual(2 ** -24 * Math.abs(w[i]) + 1e-12);
      expect(Math.abs(next[1][i] - ms[i])).toBeLessThanOrEqual((1 + 2 * rows) * 2 ** -24 * ms[i]);
    }
  });

  test("refuses arrays that are not views of its memory", () => {
    const { memory, grads, meanSquare, next } = arena(2, 8, 1);
    const update = () =>
      simdRmsprop(memory, spec).update(
        grads,
        new Float32Array(8),
        [meanSquare],
        next[0],
        [next[1]],
        0,
        8,
      );
    expect(update).toThrow("view of the kernel's memory");
  });
});

const bits = (a: Float32Array) =>
  Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
