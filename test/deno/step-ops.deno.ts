// Run by `deno test -A test/deno/` (npm test runs it): the step-ops SIMD kernels under V8, bit for
// bit equal to the TS loops they replace, one kernel of each kind (test/wasm/step-ops.test.ts
// covers them all under JavaScriptCore).
import assert from "node:assert/strict";
import { col2imInto } from "../../src/core/model/col2im.ts";
import { im2colInto } from "../../src/core/model/im2col.ts";
import { maxPoolGradientInto } from "../../src/core/model/max-pool-gradient.ts";
import type { WindowGrid } from "../../src/core/model/window-grid.ts";
import { StepOps } from "../../src/wasm/step-ops.ts";
import { mulberry } from "../support/random.ts";
import {
  addBiasRows,
  columnSumsInto,
  reluGradientInto,
  reluInPlace,
  transposeInto,
} from "../support/step-loops.ts";

// The type checker runs with bun-types; Deno's own test API is all this file needs.
declare const Deno: { test(name: string, fn: () => void): void };

/** Places arrays one after another in a fresh memory; `at` gives each one's byte offset. */
function memoryWith(...arrays: Float32Array[]) {
  const memory = new WebAssembly.Memory({ initial: 16 });
  const at: number[] = [];
  let next = 0;
  for (const a of arrays) {
    new Float32Array(memory.buffer, next, a.length).set(a);
    at.push(next);
    next += Math.ceil((a.length * 4) / 16) * 16;
  }
  const view = (i: number) => new Float32Array(memory.buffer, at[i], arrays[i].length);
  return { ops: new StepOps(memory), at, view };
}

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.slice().buffer));

function values(n: number, seed: number): Float32Array {
  const rand = mulberry(seed);
  const few = [-1, -0, 0, 1, 2]; // ties and both zeros, with mixed magnitudes between
  return Float32Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? few[Math.floor(rand() * few.length)] : (rand() - 0.5) * 2 ** (rand() * 20 - 10),
  );
}

Deno.test("step-ops under Deno: biasRelu and reluMask equal the TS loops", () => {
  const [rows, cols] = [7, 13];
  const z = values(rows * cols, 1);
  const bias = values(cols, 2);
  const dy = values(rows * cols, 3);
  const { ops, at, view } = memoryWith(z, bias, dy, new Float32Array(rows * cols));
  ops.biasRelu(at[0], at[1], rows, cols, true);
  addBiasRows(z, bias, 0, cols);
  reluInPlace(z);
  assert.deepEqual(bits(view(0)), bits(z));
  ops.reluMask(at[2], at[0], at[3], rows * cols);
  const dz = new Float32Array(rows * cols);
  reluGradientInto(dy, z, dz);
  assert.deepEqual(bits(view(3)), bits(dz));
});

Deno.test("step-ops under Deno: columnSums and transpose equal the TS loops", () => {
  const [rows, cols] = [37, 27];
  const m = values(rows * cols, 4);
  const { ops, at, view } = memoryWith(m, new Float32Array(cols), new Float32Array(rows * cols));
  ops.columnSums(at[0], rows, cols, at[1]);
  const sums = new Float32Array(cols);
  columnSumsInto(m, rows, cols, sums, 0);
  assert.deepEqual(bits(view(1)), bits(sums));
  ops.transpose(at[0], rows, cols, at[2]);
  const t = new Float32Array(rows * cols);
  transposeInto(m, rows, cols, t);
  assert.deepEqual(bits(view(2)), bits(t));
});

Deno.test("step-ops under Deno: im2col and col2im ('same', stride 2, c = 3) equal the TS loops", () => {
  // 9×8×3, 3×3 windows at stride 2 with 'same' padding: 5×4 windows, one padded row and column
  const g: WindowGrid = {
    h: 9,
    w: 8,
    c: 3,
    oh: 5,
    ow: 4,
    kh: 3,
    kw: 3,
    sh: 2,
    sw: 2,
    top: 1,
    left: 0,
  };
  const batch = 2;
  const x = values(batch * 9 * 8 * 3, 5);
  const rows = batch * 5 * 4 * 27;
  const { ops, at, view } = memoryWith(x, new Float32Array(rows), new Float32Array(x.length));
  ops.im2col(at[0], batch, g, at[1]);
  const cols = new Float32Array(rows);
  im2colInto(x, batch, g, cols);
  assert.deepEqual(bits(view(1)), bits(cols));
  ops.col2im(at[1], batch, g, at[2]);
  const dx = new Float32Array(x.length);
  col2imInto(cols, batch, g, dx);
  assert.deepEqual(bits(view(2)), bits(dx));
});

Deno.test("step-ops under Deno: the 2×2 max-pool gradient equals the TS loop, ties included", () => {
  const g: WindowGrid = {
    h: 7,
    w: 6,
    c: 6,
    oh: 3,
    ow: 3,
    kh: 2,
    kw: 2,
    sh: 2,
    sw: 2,
    top: 0,
    left: 0,
  };
  const x = values(2 * 7 * 6 * 6, 6);
  const dy = values(2 * 3 * 3 * 6, 7);
  const { ops, at, view } = memoryWith(x, dy, new Float32Array(x.length).fill(5));
  ops.maxPoolGradient(at[0], at[1], 2, g, at[2]);
  const dx = new Float32Array(x.length);
  maxPoolGradientInto(x, dy, 2, g, dx);
  assert.deepEqual(bits(view(2)), bits(dx));
});
