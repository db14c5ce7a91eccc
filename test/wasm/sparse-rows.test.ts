import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SparseRows, scratchWords } from "../../src/wasm/sparse-rows.ts";
import { mulberry } from "../support/random.ts";
import { sparseGradientInto, sparseProductInto } from "../support/sparse-rows-loops.ts";

/**
 * sparse-product.wat and sparse-gradient.wat against its plain-TS loops, bit for bit (as uint32, so −0 ≠ 0), on random
 * CSR batches (repeated indices, empty rows, unit counts off the SIMD width), and against a
 * float64 dense product; the memory around each output stays untouched. The kernel and its
 * gradient lie in a second, shared memory (the weights), at an offset past sentinels.
 */

const SENTINEL = 7.25;
/** Where the weights memory holds the kernel or its gradient (sentinels before and after). */
const WEIGHTS_AT = 256;

/** Arrays placed one after another, 16-byte aligned, with sentinel floats between. */
function memoryWith(arrays: (Float32Array | Int32Array)[], weightsFloats = 0) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const at: number[] = [];
  let next = 64;
  const end = arrays.reduce((n, a) => n + Math.ceil(a.length / 4) * 16 + 64, next);
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil(end / 65536));
  new Float32Array(memory.buffer).fill(SENTINEL);
  for (const a of arrays) {
    const view = a instanceof Int32Array ? Int32Array : Float32Array;
    new view(memory.buffer, next, a.length).set(a as never);
    at.push(next);
    next += Math.ceil(a.length / 4) * 16 + 64;
  }
  const pages = Math.ceil((WEIGHTS_AT + 4 * weightsFloats + 64) / 65536);
  const weights = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  new Float32Array(weights.buffer).fill(SENTINEL);
  return { memory, weights, at, kernel: new SparseRows(memory, weights) };
}

/** The CSR regions of `memoryWith([rowStart, index, value, a, b, scratch])`. */
const csrAt = (at: number[], entries: number, scratchRows: number) => ({
  rowStart: at[0],
  index: at[1],
  value: at[2],
  entries,
  scratch: at[5],
  scratchRows,
});

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.slice().buffer));

interface Csr {
  rows: number;
  units: number;
  wRows: number;
  rowStart: Int32Array;
  index: Int32Array;
  value: Float32Array;
}

const csrArbitrary = fc
  .record({
    rows: fc.integer({ min: 1, max: 9 }),
    // Both gradient forms: scattered (units < 48) and sorted by kernel row.
    units: fc.integer({ min: 1, max: 75 }),
    wRows: fc.integer({ min: 1, max: 30 }),
    seed: fc.nat(),
  })
  .map(({ rows, units, wRows, seed }): Csr => {
    const rand = mulberry(seed);
    const counts = Array.from({ length: rows }, () => Math.floor(rand() * 6));
    const rowStart = Int32Array.from([
      0,
      ...counts.map((_, r) => counts.slice(0, r + 1).reduce((a, b) => a + b)),
    ]);
    const n = rowStart[rows];
    const index = Int32Array.from({ length: n }, () => Math.floor(rand() * wRows));
    const few = [-1, -0, 0, 1, 0.5];
    const value = Float32Array.from({ length: n }, () =>
      rand() < 0.3 ? few[Math.floor(rand() * few.length)] : (rand() - 0.5) * 8,
    );
    return { rows, units, wRows, rowStart, index, value };
  });

function floats(n: number, seed: number): Float32Array {
  const rand = mulberry(seed);
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 3);
}

describe("SparseRows", () => {
  test("product: bit for bit its TS loop, near the float64 dense product, writes only out", () => {
    fc.assert(
      fc.property(csrArbitrary, fc.nat(), (c, seed) => {
        const w = floats(c.wRows * c.units, seed);
        const out = new Float32Array(c.rows * c.units).fill(3);
        const scratch = new Int32Array(scratchWords(c.index.length, 0));
        const { memory, weights, at, kernel } = memoryWith(
          [c.rowStart, c.index, c.value, new Float32Array(0), out, scratch],
          w.length,
        );
        new Float32Array(weights.buffer, WEIGHTS_AT, w.length).set(w);
        const csr = csrAt(at, c.index.length, 0);
        kernel.product(csr, c.rows, WEIGHTS_AT, c.wRows, c.units, at[4]);
        const got = new Float32Array(memory.buffer, at[4], out.length);
        const want = new Float32Array(out.length);
        sparseProductInto(c.rowStart, c.index, c.value, c.rows, w, c.units, want);
        expect(bits(got)).toEqual(bits(want));
        for (let r = 0; r < c.rows; r++) {
          for (let u = 0; u < c.units; u++) {
            let sum = 0;
            for (let k = c.rowStart[r]; k < c.rowStart[r + 1]; k++) {
              sum += c.value[k] * w[c.index[k] * c.units + u];
            }
            expect(Math.abs(got[r * c.units + u] - sum)).toBeLessThanOrEqual(1e-4);
          }
        }
        const after = at[4] + out.length * 4;
        expect(Array.from(new Float32Array(memory.buffer, after, 8))).toEqual(
          Array(8).fill(SENTINEL),
        );
        expect(bits(new Float32Array(weights.buffer, WEIGHTS_AT, w.length))).toEqual(bits(w));
      }),
      { numRuns: 300 },
    );
  });

  test("gradient: bit for bit its TS loop, the dense xᵀ·dz within 1e-4", () => {
    fc.assert(
      fc.property(csrArbitrary, fc.nat(), (c, seed) => {
        const dz = floats(c.rows * c.units, seed);
        const dwFloats = c.wRows * c.units;
        const scratch = new Int32Array(scratchWords(c.index.length, c.wRows));
        const { weights, at, kernel } = memoryWith(
          [c.rowStart, c.index, c.value, dz, new Float32Array(0), scratch],
          dwFloats,
        );
        new Float32Array(weights.buffer, WEIGHTS_AT, dwFloats).fill(5);
        const csr = csrAt(at, c.index.length, c.wRows);
        kernel.gradient(csr, c.rows, at[3], c.units, WEIGHTS_AT, c.wRows);
        const got = new Float32Array(weights.buffer, WEIGHTS_AT, dwFloats);
        const want = new Float32Array(dwFloats);
        sparseGradientInto(c.rowStart, c.index, c.value, c.rows, dz, c.units, want);
        expect(bits(got)).toEqual(bits(want));
        const dense = new Float64Array(dwFloats);
        for (let r = 0; r < c.rows; r++) {
          for (let k = c.rowStart[r]; k < c.rowStart[r + 1]; k++) {
            for (let u = 0; u < c.units; u++) {
              dense[c.index[k] * c.units + u] += c.value[k] * dz[r * c.units + u];
            }
          }
        }
        for (let i = 0; i < dwFloats; i++)
          expect(Math.abs(got[i] - dense[i])).toBeLessThanOrEqual(1e-4);
        const around = [WEIGHTS_AT - 32, WEIGHTS_AT + 4 * dwFloats];
        for (const from of around) {
          expect(Array.from(new Float32Array(weights.buffer, from, 8))).toEqual(
            Array(8).fill(SENTINEL),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  test("an index past the kernel or entries going backwards is a clear error", () => {
    const w = floats(8, 1);
    const out = new Float32Array(4);
    const bad = (rowStart: number[], index: number[]) => {
      const { weights, at, kernel } = memoryWith(
        [
          Int32Array.from(rowStart),
          Int32Array.from(index),
          new Float32Array(index.length).fill(1),
          new Float32Array(0),
          out,
          new Int32Array(scratchWords(index.length, 0)),
        ],
        w.length,
      );
      new Float32Array(weights.buffer, WEIGHTS_AT, w.length).set(w);
      const csr = csrAt(at, index.length, 0);
      return () => kernel.product(csr, 2, WEIGHTS_AT, 4, 2, at[4]);
    };
    expect(bad([0, 1, 2], [0, 4])).toThrow(/past the kernel/);
    expect(bad([0, 2, 1], [0, 1])).toThrow(/backwards/);
    expect(bad([0, 1, 3], [0, 1])).toThrow(/outside the 2/);
    expect(bad([0, 1, 2], [3, 0])).not.toThrow();
  });

  test("what a kernel writes may not overlap what it reads; the weights stay in theirs", () => {
    const { weights, at, kernel } = memoryWith(
      [
        Int32Array.from([0, 1]),
        Int32Array.from([0]),
        new Float32Array([1]),
        floats(8, 2),
        new Int32Array(scratchWords(1, 4)),
      ],
      8,
    );
    const csr = { ...csrAt(at, 1, 4), scratch: at[4] };
    expect(() => kernel.product(csr, 1, WEIGHTS_AT, 2, 4, at[1])).toThrow(/the out overlaps index/);
    expect(() => kernel.gradient({ ...csr, scratch: at[3] }, 1, at[3], 2, WEIGHTS_AT, 4)).toThrow(
      /the scratch overlaps dz/,
    );
    const past = weights.buffer.byteLength - 4;
    expect(() => kernel.product(csr, 1, past, 2, 4, at[3])).toThrow(/w .* inside the weights/);
    expect(() => kernel.gradient(csr, 1, at[3], 2, WEIGHTS_AT, 5)).toThrow(
      /sorts into 4 kernel rows, not 5/,
    );
  });
});
