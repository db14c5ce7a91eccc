import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { addToSum, exactSum, mergeSum, sumValue } from "../../../src/core/metric/exact-sum.ts";
import { mulberry } from "../../support/random.ts";

/** A finite double as m·2^e with m an integer, read from its bits. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = exponent === 0 ? fraction : fraction | (1n << 52n);
  return { m: negative ? -m : m, e: (exponent === 0 ? 1 : exponent) - 1075 };
}

/** The exact sum in integer arithmetic, rounded once (BigInt → Number rounds to nearest even). */
function referenceSum(values: number[]): number {
  if (values.length === 0) return 0;
  const parts = values.map(decompose);
  const low = Math.min(...parts.map((p) => p.e));
  const total = parts.reduce((sum, { m, e }) => sum + (m << BigInt(e - low)), 0n);
  return Number(total) * 2 ** low;
}

/** Values over 120 binades with deliberate cancellations: where plain addition goes wrong. */
function values(seed: number, count: number): number[] {
  const next = mulberry(seed);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const x = (next() < 0.5 ? -1 : 1) * (1 + next()) * 2 ** Math.floor(120 * next() - 60);
    out.push(x);
    if (next() < 0.2) out.push(-x * (1 + 2 ** -40));
  }
  return out;
}

function sumOf(xs: number[]) {
  const sum = exactSum();
  for (const x of xs) addToSum(sum, x);
  return sum;
}

describe("exact sum", () => {
  test("equals the exactly rounded sum, whatever the order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 60 }),
        (seed, n) => {
          const xs = values(seed, n);
          const expected = referenceSum(xs);
          expect(sumValue(sumOf(xs))).toBe(expected);
          expect(sumValue(sumOf([...xs].reverse()))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("partial sums merged in any grouping and order equal one sum bit for bit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 8 }),
        (seed, workers) => {
          const xs = values(seed, 80);
          const next = mulberry(seed + 1);
          const shards = Array.from({ length: workers }, () => exactSum());
          for (const x of xs) addToSum(shards[Math.floor(next() * workers)], x);
          const merged = exactSum();
          for (const shard of shards.sort(() => next() - 0.5))
            mergeSum(merged, structuredClone(shard));
          expect(sumValue(merged)).toBe(sumValue(sumOf(xs)));
        },
      ),
      { numRuns: 200 },
    );
  });

  test("cases plain addition gets wrong, ties to even, and non-finite values", () => {
    expect(sumValue(sumOf([1e100, 1, -1e100]))).toBe(1);
    expect(sumValue(sumOf([0.1, 0.2, 0.3, -0.6]))).toBe(referenceSum([0.1, 0.2, 0.3, -0.6]));
    // 1 + 2⁻⁵³ is a tie that rounds to even (1); the extra 2⁻¹⁰⁰ breaks it upward.
    expect(sumValue(sumOf([1, 2 ** -53]))).toBe(1);
    expect(sumValue(sumOf([1, 2 ** -53, 2 ** -100]))).toBe(1 + 2 ** -52);
    expect(sumValue(exactSum())).toBe(0);
    expect(sumValue(sumOf([1, Number.POSITIVE_INFINITY]))).toBe(Number.POSITIVE_INFINITY);
    expect(sumValue(sumOf([Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY]))).toBeNaN();
    expect(sumValue(sumOf([Number.NaN, 2]))).toBeNaN();
  });
});
