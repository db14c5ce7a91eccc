import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { col2imInto } from "../../src/core/model/col2im.ts";
import { im2colInto } from "../../src/core/model/im2col.ts";
import { maxPoolInto } from "../../src/core/model/max-pool.ts";
import { maxPoolGradientInto } from "../../src/core/model/max-pool-gradient.ts";
import { conv2d, type Padding } from "../../src/core/model/sequential.ts";
import { type WindowGrid, windowGrid } from "../../src/core/model/window-grid.ts";
import { STEP_OPS_KERNEL, StepOps } from "../../src/wasm/step-ops.ts";
import { mulberry } from "../support/random.ts";
import {
  addBiasRows,
  columnSumsInto,
  reluGradientInto,
  reluInPlace,
  transposeInto,
} from "../support/step-loops.ts";

/**
 * Every kernel of step-ops.wat against the plain-TS loop it replaces, bit for bit (as uint32, so
 * −0 ≠ 0), on random shapes; the data around each output is checked to stay untouched.
 */

const GUARD = 8; // floats of sentinel before and after every region
const SENTINEL = 7.25;

/** A bump allocator over a fresh memory that fences every region with sentinels. */
class Arena {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  readonly ops = new StepOps(this.memory);
  #next = 0;
  #regions: [number, number][] = [];

  place(values: Float32Array): number {
    const bytes = (values.length + 2 * GUARD) * 4;
    const end = this.#next + bytes;
    const missing = end - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / 65536));
    const offset = this.#next + GUARD * 4;
    new Float32Array(this.memory.buffer, this.#next, values.length + 2 * GUARD).fill(SENTINEL);
    this.view(offset, values.length).set(values);
    this.#regions.push([offset, values.length]);
    this.#next = end;
    return offset;
  }

  view(offset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, length);
  }

  guardsIntact(): boolean {
    return this.#regions.every(([offset, length]) =>
      [offset - GUARD * 4, offset + length * 4].every((at) =>
        this.view(at, GUARD).every((v) => v === SENTINEL),
      ),
    );
  }
}

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

/**
 * n floats: from a small set with both zeros (ties, −0, exact sums), or of mixed sign and
 * magnitude (so a change in the order of float additions shows).
 */
function values(n: number, seed: number, fewDistinct: boolean): Float32Array {
  const rand = mulberry(seed);
  const few = [-2, -1, -0, 0, 0.5, 1, 3];
  return Float32Array.from({ length: n }, () =>
    fewDistinct
      ? few[Math.floor(rand() * few.length)]
      : (rand() - 0.5) * 2 ** Math.floor(rand() * 24 - 12),
  );
}

/** The kernel wrote exactly `expected` at `at` (bit for bit) and nothing outside its regions. */
function expectWritten(arena: Arena, at: number, expected: Float32Array): void {
  expect(bits(arena.view(at, expected.length))).toEqual(bits(expected));
  expect(arena.guardsIntact()).toBe(true);
}

const data = fc.record({ seed: fc.nat(), fewDistinct: fc.boolean() });
const RUNS = { numRuns: 300 };

describe("the step-ops wasm kernels equal the TS loops bit for bit", () => {
  test("its bytes validate here (SIMD is available)", () => {
    expect(STEP_OPS_KERNEL.unavailable()).toBeUndefined();
  });

  test("biasRelu = addBiasRows, then reluInPlace", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        data,
        (rows, cols, relu, { seed, fewDistinct }) => {
          const z = values(rows * cols, seed, fewDistinct);
          const bias = values(cols, seed + 1, fewDistinct);
          const arena = new Arena();
          const [zAt, biasAt] = [arena.place(z), arena.place(bias)];
          arena.ops.biasRelu(zAt, biasAt, rows, cols, relu);
          addBiasRows(z, bias, 0, cols);
          if (relu) reluInPlace(z);
          expectWritten(arena, zAt, z);
        },
      ),
      RUNS,
    );
  });

  test("biasRelu leaves −0 as −0 (as `if (v < 0) v = 0` does; a max would not)", () => {
    const arena = new Arena();
    const z = arena.place(Float32Array.of(-0, -0, -0, -0, -0));
    arena.ops.biasRelu(z, arena.place(Float32Array.of(-0, -0, -0, -0, -0)), 1, 5, true);
    expect(Object.is(arena.view(z, 5)[0], -0) && Object.is(arena.view(z, 5)[4], -0)).toBe(true);
  });

  test("reluMask = reluGradientInto, into another array or in place", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.boolean(), data, (n, inPlace, d) => {
        const dy = values(n, d.seed, false);
        const out = values(n, d.seed + 1, d.fewDistinct);
        const arena = new Arena();
        const [dyAt, outAt] = [arena.place(dy), arena.place(out)];
        const dzAt = inPlace ? dyAt : arena.place(values(n, d.seed + 2, false));
        arena.ops.reluMask(dyAt, outAt, dzAt, n);
        const dz = new Float32Array(n);
        reluGradientInto(dy, out, dz);
        expect(bits(arena.view(dzAt, n))).toEqual(bits(dz));
        expect(arena.guardsIntact()).toBe(true);
      }),
      RUNS,
    );
  });

  test("columnSums = columnSumsInto (float64 sums in row order)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        data,
        (rows, cols, d) => {
          const m = values(rows * cols, d.seed, d.fewDistinct);
          const arena = new Arena();
          const [mAt, sumsAt] = [arena.place(m), arena.place(new Float32Array(cols).fill(9))];
          arena.ops.columnSums(mAt, rows, cols, sumsAt);
          const sums = new Float32Array(cols);
          columnSumsInto(m, rows, cols, sums, 0);
          expect(bits(arena.view(sumsAt, cols))).toEqual(bits(sums));
          expect(arena.guardsIntact()).toBe(true);
        },
      ),
      RUNS,
    );
  });

  test("columnSums rounds once, from float64 (a float32 running sum would lose the 1s)", () => {
    const arena = new Arena();
    const m = arena.place(Float32Array.of(2 ** 24, 1, 1, -(2 ** 24)));
    const sums = arena.place(new Float32Array(1));
    arena.ops.columnSums(m, 4, 1, sums);
    expect(arena.view(sums, 1)[0]).toBe(2);
  });

  test("transpose = transposeInto", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        (rows, cols, seed) => {
          const src = values(rows * cols, seed, false);
          const arena = new Arena();
          const [srcAt, dstAt] = [arena.place(src), arena.place(new Float32Array(rows * cols))];
          arena.ops.transpose(srcAt, rows, cols, dstAt);
          const dst = new Float32Array(rows * cols);
          transposeInto(src, rows, cols, dst);
          expectWritten(arena, dstAt, dst);
        },
      ),
      RUNS,
    );
  });
});

/** A conv's window grid: any kernel, stride and padding that leaves at least one window. */
const convGrids = fc
  .record({
    h: fc.integer({ min: 1, max: 12 }),
    w: fc.integer({ min: 1, max: 12 }),
    c: fc.constantFrom(1, 2, 3, 4, 5, 8),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    padding: fc.constantFrom<Padding>("valid", "same"),
  })
  .filter((t) => t.padding === "same" || (t.kh <= t.h && t.kw <= t.w))
  .map((t) =>
    windowGrid(
      [t.h, t.w, t.c],
      conv2d(1, [t.kh, t.kw], { strides: [t.sh, t.sw], padding: t.padding }),
    ),
  );

const windowFloats = (batch: number, g: WindowGrid) => batch * g.oh * g.ow * g.kh * g.kw * g.c;
const imageFloats = (batch: number, g: WindowGrid) => batch * g.h * g.w * g.c;

describe("im2col and col2im equal im2colInto and col2imInto bit for bit", () => {
  test("im2col on random grids (c = 1, odd c, 'same' padding, strides)", () => {
    fc.assert(
      fc.property(convGrids, fc.integer({ min: 1, max: 3 }), data, (g, batch, d) => {
        const x = values(imageFloats(batch, g), d.seed, d.fewDistinct);
        const arena = new Arena();
        const xAt = arena.place(x);
        const outAt = arena.place(new Float32Array(windowFloats(batch, g)).fill(Number.NaN));
        arena.ops.im2col(xAt, batch, g, outAt);
        const out = new Float32Array(windowFloats(batch, g));
        im2colInto(x, batch, g, out);
        expectWritten(arena, outAt, out);
      }),
      RUNS,
    );
  });

  test("col2im on random grids, overlapping windows adding up in window order", () => {
    fc.assert(
      fc.property(convGrids, fc.integer({ min: 1, max: 3 }), data, (g, batch, d) => {
        const cols = values(windowFloats(batch, g), d.seed, d.fewDistinct);
        const arena = new Arena();
        const colsAt = arena.place(cols);
        const dxAt = arena.place(new Float32Array(imageFloats(batch, g)).fill(Number.NaN));
        arena.ops.col2im(colsAt, batch, g, dxAt);
        const dx = new Float32Array(imageFloats(batch, g));
        col2imInto(cols, batch, g, dx);
        expectWritten(arena, dxAt, dx);
      }),
      RUNS,
    );
  });
});

/** 2×2 stride-2 unpadded pooling grids, odd sizes (a row or column no window covers) included. */
const poolGrids = fc
  .record({
    h: fc.integer({ min: 2, max: 13 }),
    w: fc.integer({ min: 2, max: 13 }),
    c: fc.constantFrom(1, 2, 3, 4, 5, 8, 12),
  })
  .map(
    ({ h, w, c }): WindowGrid => ({
      h,
      w,
      c,
      oh: Math.floor(h / 2),
      ow: Math.floor(w / 2),
      kh: 2,
      kw: 2,
      sh: 2,
      sw: 2,
      top: 0,
      left: 0,
    }),
  );

describe("2×2 max-pooling equals maxPoolInto and maxPoolGradientInto bit for bit", () => {
  const pooledFloats = (batch: number, g: WindowGrid) => batch * g.oh * g.ow * g.c;

  test("forward, ties included (few distinct values, both zeros)", () => {
    fc.assert(
      fc.property(poolGrids, fc.integer({ min: 1, max: 3 }), data, (g, batch, d) => {
        const x = values(imageFloats(batch, g), d.seed, d.fewDistinct);
        const arena = new Arena();
        const xAt = arena.place(x);
        const outAt = arena.place(new Float32Array(pooledFloats(batch, g)).fill(Number.NaN));
        arena.ops.maxPool(xAt, batch, g, outAt);
        const out = new Float32Array(pooledFloats(batch, g));
        maxPoolInto(x, batch, g, out);
        expectWritten(arena, outAt, out);
      }),
      RUNS,
    );
  });

  test("gradient, ties going to the first maximum", () => {
    fc.assert(
      fc.property(poolGrids, fc.integer({ min: 1, max: 3 }), data, (g, batch, d) => {
        const x = values(imageFloats(batch, g), d.seed, d.fewDistinct);
        const dy = values(pooledFloats(batch, g), d.seed + 1, d.fewDistinct);
        const arena = new Arena();
        const [xAt, dyAt] = [arena.place(x), arena.place(dy)];
        const dxAt = arena.place(new Float32Array(x.length).fill(Number.NaN));
        arena.ops.maxPoolGradient(xAt, dyAt, batch, g, dxAt);
        const dx = new Float32Array(x.length);
        maxPoolGradientInto(x, dy, batch, g, dx);
        expectWritten(arena, dxAt, dx);
      }),
      RUNS,
    );
  });

  test("a tie sends the gradient to the first tap in row-major order, in every lane", () => {
    const arena = new Arena();
    const g: WindowGrid = {
      h: 2,
      w: 2,
      c: 5,
      oh: 1,
      ow: 1,
      kh: 2,
      kw: 2,
      sh: 2,
      sw: 2,
      top: 0,
      left: 0,
    };
    // taps (0,0) (0,1) (1,0) (1,1), 5 channels each: 3 ties between two taps, but in channel 3
    const x = Float32Array.of(
      ...[3, 1, 1, 1, 1],
      ...[3, 3, 1, 1, 3],
      ...[1, 3, 3, 1, 1],
      ...[1, 1, 3, 3, 3],
    );
    const dx = arena.place(new Float32Array(20));
    arena.ops.maxPoolGradient(
      arena.place(x),
      arena.place(Float32Array.of(1, 2, 3, 4, 5)),
      1,
      g,
      dx,
    );
    expect(Array.from(arena.view(dx, 20))).toEqual([
      ...[1, 0, 0, 0, 0],
      ...[0, 2, 0, 0, 5],
      ...[0, 0, 3, 0, 0],
      ...[0, 0, 0, 4, 0],
    ]);
  });

  test("handlesPool takes only the unpadded 2×2 stride-2 tiling", () => {
    const tiling = { h: 5, w: 4, c: 3, oh: 2, ow: 2, kh: 2, kw: 2, sh: 2, sw: 2, top: 0, left: 0 };
    expect(StepOps.handlesPool(tiling)).toBe(true);
    expect(StepOps.handlesPool({ ...tiling, sh: 1, oh: 4 })).toBe(false);
    expect(StepOps.handlesPool({ ...tiling, kw: 3 })).toBe(false);
    expect(StepOps.handlesPool({ ...tiling, top: 1 })).toBe(false);
    expect(StepOps.handlesPool({ ...tiling, oh: 3 })).toBe(false); // 'same' on an odd size
  });
});

describe("StepOps's errors", () => {
  const arena = new Arena();
  const a = arena.place(new Float32Array(64));
  const b = arena.place(new Float32Array(64));
  const bytes = arena.memory.buffer.byteLength;
  const ops = arena.ops;
  const pool: WindowGrid = {
    h: 4,
    w: 4,
    c: 4,
    oh: 2,
    ow: 2,
    kh: 2,
    kw: 2,
    sh: 2,
    sw: 2,
    top: 0,
    left: 0,
  };
  const conv: WindowGrid = {
    h: 4,
    w: 4,
    c: 1,
    oh: 2,
    ow: 2,
    kh: 3,
    kw: 3,
    sh: 1,
    sw: 1,
    top: 0,
    left: 0,
  };

  test.each<[string, () => void, RegExp]>([
    [
      "an offset is not a multiple of 4",
      () => ops.reluMask(a + 2, b, b, 4),
      /dy's offset \d+ is not a non-negative multiple of 4/,
    ],
    ["an offset is negative", () => ops.transpose(-16, 2, 2, b), /src's offset -16/],
    [
      "a region ends past the memory",
      () => ops.columnSums(bytes - 16, 2, 4, a),
      /m \(8 floats at \d+\) ends past the memory/,
    ],
    ["a shape is zero", () => ops.biasRelu(a, b, 0, 4, true), /rows 0 must be a positive integer/],
    [
      "a shape is fractional",
      () => ops.transpose(a, 2.5, 2, b),
      /rows 2.5 must be a positive integer/,
    ],
    ["an output overlaps an input", () => ops.transpose(a, 4, 4, a + 16), /dst and src overlap/],
    ["dz partly overlaps dy", () => ops.reluMask(a, b, a + 4, 8), /dz and dy overlap/],
    ["bias overlaps z", () => ops.biasRelu(a, a + 8, 2, 4, false), /z and bias overlap/],
    ["sums and m overlap", () => ops.columnSums(a, 4, 4, a + 60), /sums and m overlap/],
    [
      "the windows do not fit",
      () => ops.im2col(a, 2, conv, bytes - 64),
      /out \(72 floats at \d+\) ends past the memory/,
    ],
    ["col2im's dx and cols overlap", () => ops.col2im(a, 1, conv, a + 4), /dx and cols overlap/],
    [
      "a grid has a zero size",
      () => ops.im2col(a, 1, { ...conv, kh: 0 }, b),
      /kh 0 must be a positive integer/,
    ],
    [
      "a grid has negative padding",
      () => ops.col2im(a, 1, { ...conv, top: -1 }, b),
      /padding -1,0/,
    ],
    ["the batch is zero", () => ops.maxPool(a, 0, pool, b), /batch 0/],
    [
      "a pool is not the 2×2 tiling",
      () => ops.maxPool(a, 1, { ...pool, sh: 1, oh: 3 }, b),
      /only 2×2 windows at stride 2/,
    ],
    [
      "a pool gradient's dx overlaps dy",
      () => ops.maxPoolGradient(a, b, 1, pool, b),
      /dx and dy overlap/,
    ],
  ])("%s", (_, call, message) => {
    expect(call).toThrow(message);
    expect(call).toThrow(RangeError);
  });

  test("the memory may grow between calls", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const grown = new StepOps(memory);
    memory.grow(1);
    new Float32Array(memory.buffer, 65536, 4).set([1, -2, 3, -4]);
    grown.biasRelu(65536, 65536 + 16, 1, 4, true);
    expect(Array.from(new Float32Array(memory.buffer, 65536, 4))).toEqual([1, 0, 3, 0]);
  });
});
