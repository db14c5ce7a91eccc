import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { col2im } from "../../../src/core/model/col2im.ts";
import { conv2d } from "../../../src/core/model/sequential.ts";
import { type WindowGrid, windowGrid } from "../../../src/core/model/window-grid.ts";
import { mulberry } from "../../support/random.ts";

/** im2col written the plain way: row (b, oy, ox), column (i, j, ci), zero on padding. */
function im2col(x: Float64Array, batch: number, g: WindowGrid): Float64Array {
  const taps = g.kh * g.kw * g.c;
  const cols = new Float64Array(batch * g.oh * g.ow * taps);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let i = 0; i < g.kh; i++)
          for (let j = 0; j < g.kw; j++)
            for (let ci = 0; ci < g.c; ci++) {
              const y = oy * g.sh + i - g.top;
              const xx = ox * g.sw + j - g.left;
              if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) continue;
              const row = (b * g.oh + oy) * g.ow + ox;
              cols[row * taps + (i * g.kw + j) * g.c + ci] =
                x[((b * g.h + y) * g.w + xx) * g.c + ci];
            }
  return cols;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
};

describe("col2im", () => {
  test("is im2col's adjoint: ⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩ for any kernel, stride and padding", () => {
    const cases = fc.record({
      batch: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 3, max: 8 }),
      w: fc.integer({ min: 3, max: 8 }),
      cin: fc.integer({ min: 1, max: 3 }),
      kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
      strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      padding: fc.constantFrom("valid" as const, "same" as const),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    fc.assert(
      fc.property(cases, (c) => {
        const g = windowGrid(
          [c.h, c.w, c.cin],
          conv2d(1, c.kernel, { strides: c.strides, padding: c.padding }),
        );
        fc.pre(g.oh > 0 && g.ow > 0);
        const draw = mulberry(c.seed);
        const next = () => draw() - 0.5;
        const x = Float64Array.from({ length: c.batch * c.h * c.w * c.cin }, next);
        const cols = Float32Array.from(
          { length: c.batch * g.oh * g.ow * g.kh * g.kw * c.cin },
          next,
        );
        const lhs = dot(im2col(x, c.batch, g), cols);
        expect(dot(x, col2im(cols, c.batch, g))).toBeCloseTo(lhs, 5);
      }),
      { numRuns: 300 },
    );
  });

  test("columns that do not fit the geometry are a clear error", () => {
    const g = windowGrid([4, 4, 2], conv2d(1, 3));
    expect(() => col2im(new Float32Array(71), 2, g)).toThrow(
      "col2im: expected 8×18 values for the windows, got 71",
    );
  });
});
