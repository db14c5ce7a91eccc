import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { TRAINING_PRODUCTS } from "../../bench/training-shapes.ts";
import { GEMM_KERNEL, Gemm, type Matrix } from "../../src/wasm/gemm.ts";
import { float32MulThenAdd, float64Product } from "../support/matmul.ts";
import { mulberry } from "../support/random.ts";

/**
 * Float32 accumulation of k products (k + 1 with C's old value): each product and each add
 * rounds by at most u = 2⁻²⁴ relative, so |ours − exact| ≤ γ·Σ|aᵢbᵢ| with γ = (k+1)·u/(1−(k+1)u)
 * (Higham, Accuracy and Stability, §3.1), whatever the order of the adds and whether a multiply
 * and add fuse. Inputs are float32 values, so the float64 reference is exact to ~2⁻⁵³·k.
 */
function worstError(ours: Float32Array, c: Float64Array, bound: Float64Array, k: number): number {
  const u = 2 ** -24;
  const gamma = ((k + 1) * u) / (1 - (k + 1) * u);
  let worst = 0;
  for (let i = 0; i < c.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - c[i]) / (gamma * bound[i] + Number.MIN_VALUE));
  }
  return worst; // ≤ 1 when within the bound
}

function randomValues(n: number, rand: () => number, integers = false): Float32Array {
  return Float32Array.from({ length: n }, () =>
    integers ? Math.floor(rand() * 17) - 8 : (rand() - 0.5) * 2 ** Math.floor(rand() * 6 - 3),
  );
}

interface Case {
  m: number;
  k: number;
  n: number;
  seed: number;
  fma: boolean;
  packed: boolean;
  accumulate: boolean;
  integers?: boolean;
  rowBlock?: number;
  tileRows?: 4 | 6;
  unrolled?: boolean;
}

/** Runs one product in a fresh memory, with sentinels around C; returns ours and the reference. */
function run(t: Case) {
  const rand = mulberry(t.seed);
  const gemm = new Gemm();
  const aValues = randomValues(t.m * t.k, rand, t.integers);
  const bValues = randomValues(t.k * t.n, rand, t.integers);
  const c0 = t.accumulate ? randomValues(t.m * t.n, rand, t.integers) : undefined;
  const a = gemm.matrix(t.m, t.k, aValues);
  const b = gemm.matrix(t.k, t.n, bValues);
  const before = gemm.matrix(1, 8, new Float32Array(8).fill(7));
  const c = gemm.matrix(t.m, t.n, c0 ?? new Float32Array(t.m * t.n).fill(Number.NaN));
  const after = gemm.matrix(1, 8, new Float32Array(8).fill(7));
  const operand = t.packed ? gemm.pack(b) : b;
  gemm.multiply(a, operand, c, {
    fma: t.fma,
    accumulate: t.accumulate,
    rowBlock: t.rowBlock,
    tileRows: t.tileRows,
    unrolled: t.unrolled,
  });
  const sentinels = [...gemm.view(before), ...gemm.view(after)];
  return { ours: gemm.view(c), sentinels, ...float64Product(aValues, bValues, t.m, t.k, t.n, c0) };
}

const variants = [
  { fma: true, packed: true, tileRows: 4 as const, unrolled: true },
  { fma: false, packed: true, tileRows: 4 as const, unrolled: true },
  { fma: true, packed: true, tileRows: 6 as const, unrolled: true },
  { fma: false, packed: true, tileRows: 6 as const, unrolled: true },
  { fma: true, packed: true, tileRows: 4 as const, unrolled: false },
  { fma: false, packed: true, tileRows: 6 as const, unrolled: false },
  { fma: true, packed: false, tileRows: 4 as const, unrolled: false },
  { fma: false, packed: false, tileRows: 6 as const, unrolled: false },
];

describe("the wasm SIMD gemm kernel", () => {
  test("its bytes validate here (relaxed SIMD is available)", () => {
    expect(WebAssembly.validate(GEMM_KERNEL.bytes())).toBe(true);
  });

  test.each(variants)(
    "integer inputs give the exact product (fma $fma, packed $packed, $tileRows-row tiles)",
    (v) => {
      // Small integers: every product and partial sum is exact in float32, so any index slip shows.
      for (let m = 1; m <= 13; m++) {
        for (const n of [1, 3, 7, 8, 9, 15, 16, 17, 24]) {
          for (const k of [1, 2, 5, 7, 12]) {
            for (const accumulate of [false, true]) {
              const { ours, c, sentinels } = run({
                m,
                k,
                n,
                seed: m * n * k,
                accumulate,
                integers: true,
                ...v,
              });
              expect(Array.from(ours)).toEqual(Array.from(c));
              expect(sentinels.every((x) => x === 7)).toBe(true);
            }
          }
        }
      }
    },
  );

  test("random shapes 1–70 are within float32 accumulation error of the float64 product", () => {
    fc.assert(
      fc.property(
        fc.record({
          m: fc.integer({ min: 1, max: 70 }),
          k: fc.integer({ min: 1, max: 70 }),
          n: fc.integer({ min: 1, max: 70 }),
          seed: fc.nat(),
          fma: fc.boolean(),
          packed: fc.boolean(),
          accumulate: fc.boolean(),
          rowBlock: fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }),
          tileRows: fc.constantFrom(4 as const, 6 as const),
          unrolled: fc.boolean(),
        }),
        (t) => {
          const { ours, c, bound, sentinels } = run(t);
          expect(worstError(ours, c, bound, t.k)).toBeLessThanOrEqual(1);
          expect(sentinels.every((x) => x === 7)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  test.each(TRAINING_PRODUCTS.map((shape) => [...shape]))(
    "the training shape %i×%i · %i×… is within float32 accumulation error",
    (m, k, n) => {
      for (const v of variants) {
        const { ours, c, bound } = run({ m, k, n, seed: m + k + n, accumulate: false, ...v });
        const worst = worstError(ours, c, bound, k);
        expect(worst).toBeLessThanOrEqual(1);
        expect(worst).toBeGreaterThan(0); // not vacuous: real rounding happened
      }
    },
  );

  test("the multiply-then-add build rounds exactly like float32 mul and add in k order", () => {
    const [m, k, n] = [13, 37, 21];
    const rand = mulberry(5);
    const gemm = new Gemm();
    const aValues = randomValues(m * k, rand);
    const bValues = randomValues(k * n, rand);
    const a = gemm.matrix(m, k, aValues);
    const b = gemm.pack(gemm.matrix(k, n, bValues));
    const c = gemm.matrix(m, n);
    gemm.multiply(a, b, c, { fma: false });
    const expected = float32MulThenAdd(aValues, bValues, m, k, n);
    expect(Array.from(gemm.view(c))).toEqual(Array.from(expected));
  });

  test("the fused build rounds a·b + c at most once, or like mul + add (relaxed)", () => {
    // (1 + 2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴: float32 rounds the product to 1 + 2⁻¹¹, an FMA keeps 2⁻²⁴.
    const gemm = new Gemm();
    const x = 1 + 2 ** -12;
    const a = gemm.matrix(1, 1, [x]);
    const b = gemm.matrix(1, 1, [x]);
    const c = gemm.matrix(1, 1, [-(1 + 2 ** -11)]);
    gemm.multiply(a, b, c, { accumulate: true });
    expect([0, 2 ** -24]).toContain(gemm.view(c)[0]);
  });

  test("pack lays B out as 8-column panels of k rows, the last one zero-padded", () => {
    const gemm = new Gemm();
    const [k, n] = [3, 10];
    const b = gemm.matrix(
      k,
      n,
      Array.from({ length: k * n }, (_, i) => i + 1),
    );
    const target = gemm.pack(b);
    gemm.view(target).fill(9); // stale contents, padding included
    const packed = gemm.pack(b, target);
    const expected = [0, 1].flatMap((panel) =>
      [0, 1, 2].flatMap((row) =>
        Array.from({ length: 8 }, (_, j) => {
          const col = panel * 8 + j;
          return col < n ? row * n + col + 1 : 0;
        }),
      ),
    );
    expect(Array.from(gemm.view(packed))).toEqual(expected);
  });

  test("the memory may grow between calls (views are taken afresh)", () => {
    const gemm = new Gemm(new WebAssembly.Memory({ initial: 1 }));
    const a = gemm.matrix(2, 2, [1, 2, 3, 4]);
    const b = gemm.matrix(2, 2, [5, 6, 7, 8]);
    gemm.matrix(200, 200); // grows the memory past one page
    const c = gemm.matrix(2, 2);
    gemm.multiply(a, b, c);
    expect(Array.from(gemm.view(c))).toEqual([19, 22, 43, 50]);
  });

  test("a base offset keeps the kernel above it", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    new Float32Array(memory.buffer, 0, 64).fill(3);
    const gemm = new Gemm(memory, 256);
    const c = gemm.matrix(3, 3);
    gemm.multiply(gemm.matrix(3, 1, [1, 2, 3]), gemm.matrix(1, 3, [1, 1, 1]), c);
    expect(Array.from(gemm.view(c))).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(new Float32Array(memory.buffer, 0, 64).every((v) => v === 3)).toBe(true);
  });
});

describe("Gemm's errors", () => {
  const gemm = new Gemm();
  const a = gemm.matrix(4, 3);
  const b = gemm.matrix(3, 5);
  const c = gemm.matrix(4, 5);
  const bytes = gemm.memory.buffer.byteLength;
  const at = (offset: number, rows: number, cols: number): Matrix => ({ offset, rows, cols });

  test.each<[string, () => void, RegExp]>([
    [
      "inner sizes differ",
      () => gemm.multiply(a, gemm.matrix(4, 5), c),
      /4×3 · 4×5 does not make 4×5/,
    ],
    ["C has the wrong shape", () => gemm.multiply(a, b, gemm.matrix(5, 5)), /does not make 5×5/],
    [
      "an offset is not a multiple of 4",
      () => gemm.multiply(at(a.offset + 2, 4, 3), b, c),
      /not a multiple of 4/,
    ],
    [
      "a matrix ends past the memory",
      () => gemm.multiply(a, b, at(bytes - 16, 4, 5)),
      /ends past the memory/,
    ],
    [
      "an unpacked B has no slack for its last panel",
      () => gemm.multiply(a, at(bytes - 60, 3, 5), c),
      /ends past/,
    ],
    ["C overlaps A", () => gemm.multiply(a, b, at(a.offset + 4, 4, 5)), /C overlaps A or B/],
    [
      "C overlaps the scratch tile",
      () => gemm.multiply(a, b, at(0, 4, 5)),
      /C overlaps the kernel's scratch/,
    ],
    ["a shape is zero", () => gemm.matrix(0, 3), /must be positive integers/],
    [
      "a shape is fractional",
      () => gemm.multiply(at(a.offset, 4, 2.5), at(b.offset, 2.5, 5), c),
      /positive integers/,
    ],
    ["values do not fit", () => gemm.matrix(2, 2, [1, 2, 3]), /3 values for 2×2/],
    [
      "a pack target has another shape",
      () => gemm.pack(b, gemm.pack(a)),
      /target is 4×3, B is 3×5/,
    ],
    ["rowBlock is zero", () => gemm.multiply(a, b, c, { rowBlock: 0 }), /rowBlock 0/],
    ["tileRows is not 4 or 6", () => gemm.multiply(a, b, c, { tileRows: 5 as 4 }), /tileRows 5/],
    ["a base is misaligned", () => new Gemm(undefined, 8), /base 8/],
  ])("%s", (_, call, message) => {
    expect(call).toThrow(message);
  });

  test("a memory that cannot grow is reported", () => {
    const small = new Gemm(new WebAssembly.Memory({ initial: 1, maximum: 1 }));
    expect(() => small.matrix(200, 200)).toThrow(/cannot grow the memory/);
  });
});
