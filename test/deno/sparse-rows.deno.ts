// Run by `deno test -A test/deno/` (npm test runs it): the sparse-rows SIMD kernels under V8,
// bit for bit equal to their TS loops (test/wasm/sparse-rows.test.ts covers them under
// JavaScriptCore with random shapes).
import assert from "node:assert/strict";
import { SparseRows } from "../../src/wasm/sparse-rows.ts";
import { mulberry } from "../support/random.ts";
import { sparseGradientInto, sparseProductInto } from "../support/sparse-rows-loops.ts";

// The type checker runs with bun-types; Deno's own test API is all this file needs.
declare const Deno: { test(name: string, fn: () => void): void };

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.slice().buffer));

// 11 and 37 units: the gradient scattered into rows (37: chunks of 16, 16, 4 and 1); 53:
// sorted by kernel row.
for (const units of [11, 37, 53]) {
  Deno.test(`sparse-rows: product and gradient equal their TS loops bit for bit (${units} units)`, () => {
    const rand = mulberry(7);
    const [rows, wRows] = [5, 9];
    const rowStart = Int32Array.from([0, 3, 3, 7, 8, 12]);
    const index = Int32Array.from({ length: 12 }, () => Math.floor(rand() * wRows));
    const value = Float32Array.from({ length: 12 }, (_, k) => (k % 4 === 0 ? -0 : rand() - 0.5));
    const w = Float32Array.from({ length: wRows * units }, () => (rand() - 0.5) * 3);
    const dz = Float32Array.from({ length: rows * units }, () => (rand() - 0.5) * 3);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const place = (a: Float32Array | Int32Array, at: number) => {
      new (a instanceof Int32Array ? Int32Array : Float32Array)(memory.buffer, at, a.length).set(
        a as never,
      );
      return at;
    };
    const csr = {
      rowStart: place(rowStart, 0),
      index: place(index, 64),
      value: place(value, 128),
      entries: 12,
      scratch: 8192,
      scratchRows: wRows,
    };
    // The kernel and its gradient in a second, shared memory (as the training plane's).
    const weights = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const [wAt, dwAt] = [256, 4096];
    new Float32Array(weights.buffer, wAt, w.length).set(w);
    const [dzAt, outAt] = [place(dz, 2048), 4096];
    const kernel = new SparseRows(memory, weights);
    kernel.product(csr, rows, wAt, wRows, units, outAt);
    kernel.gradient(csr, rows, dzAt, units, dwAt, wRows);
    const out = new Float32Array(rows * units);
    const dw = new Float32Array(wRows * units);
    sparseProductInto(rowStart, index, value, rows, w, units, out);
    sparseGradientInto(rowStart, index, value, rows, dz, units, dw);
    assert.deepEqual(bits(new Float32Array(memory.buffer, outAt, out.length)), bits(out));
    assert.deepEqual(bits(new Float32Array(weights.buffer, dwAt, dw.length)), bits(dw));
  });
}
