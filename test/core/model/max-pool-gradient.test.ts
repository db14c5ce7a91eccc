import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { maxPoolGradient } from "../../../src/core/model/max-pool-gradient.ts";
import { maxPooling2d } from "../../../src/core/model/sequential.ts";
import { type WindowGrid, windowGrid } from "../../../src/core/model/window-grid.ts";
import { mulberry } from "../../support/random.ts";

/**
 * The routing written the plain way, one window and channel at a time, in float64: TF's
 * definition (first maximum in row-major order; padding is −∞) with no shortcut.
 */
function referenceGradient(
  x: Float32Array,
  dy: Float32Array,
  batch: number,
  g: WindowGrid,
): Float64Array {
  const dx = new Float64Array(x.length);
  const at = (b: number, y: number, xx: number, ch: number) =>
    ((b * g.h + y) * g.w + xx) * g.c + ch;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let ch = 0; ch < g.c; ch++) {
          let best = -1;
          for (let i = 0; i < g.kh; i++) {
            for (let j = 0; j < g.kw; j++) {
              const y = oy * g.sh + i - g.top;
              const xx = ox * g.sw + j - g.left;
              if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) continue;
              if (best < 0 || x[at(b, y, xx, ch)] > x[best]) best = at(b, y, xx, ch);
            }
          }
          dx[best] += dy[((b * g.oh + oy) * g.ow + ox) * g.c + ch];
        }
      }
    }
  }
  return dx;
}

const layers = fc.record({
  pool: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  padding: fc.constantFrom("valid" as const, "same" as const),
});

describe("maxPoolGradient", () => {
  test("equals the plain definition for any window, stride and padding, ties included", () => {
    const cases = fc.tuple(
      fc.tuple(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 3, max: 9 }),
        fc.integer({ min: 3, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
      ),
      fc.oneof(layers, fc.constant({ pool: [2, 2], strides: [2, 2], padding: "valid" as const })),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    );
    fc.assert(
      fc.property(cases, ([shape, l, seed]) => {
        const [batch, ...input] = shape;
        const layer = maxPooling2d(l.pool, { strides: l.strides, padding: l.padding });
        const g = windowGrid(input, layer);
        // Values from a small set (negatives included), so windows tie often.
        const next = mulberry(seed);
        const x = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () =>
          Math.floor(next() * 5 - 2),
        );
        const dy = Float32Array.from({ length: batch * g.oh * g.ow * g.c }, () => next() - 0.5);
        const got = maxPoolGradient(x, dy, batch, g);
        const want = referenceGradient(x, dy, batch, g);
        for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
      }),
      { numRuns: 300 },
    );
  });

  test("arrays that do not fit the geometry are a clear error", () => {
    const g = windowGrid([4, 4, 3], maxPooling2d(2));
    expect(() => maxPoolGradient(new Float32Array(96), new Float32Array(23), 2, g)).toThrow(
      "maxPoolGradient: expected 96 inputs and 24 output gradients, got 96 and 23",
    );
  });
});
