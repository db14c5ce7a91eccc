import { type Conv2DLayer, type MaxPooling2DLayer, windowGeometry } from "./sequential.ts";

/**
 * Where the windows of a Conv2D or MaxPooling2D layer fall on one `[H, W, C]` input
 * (channels-last): output size, window and stride, and the zero padding before the first
 * row and column. Resolved once per layer, so the plain-TS loops only read numbers.
 */
export interface WindowGrid {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly top: number;
  readonly left: number;
}

export function windowGrid(
  inputShape: readonly number[],
  layer: Conv2DLayer | MaxPooling2DLayer,
): WindowGrid {
  const [h, w, c] = inputShape;
  const [kh, kw] = layer.kind === "conv2d" ? layer.kernelSize : layer.poolSize;
  const [sh, sw] = layer.strides;
  const rows = windowGeometry(h, kh, sh, layer.padding);
  const cols = windowGeometry(w, kw, sw, layer.padding);
  const windows = { oh: rows.out, ow: cols.out, top: rows.padBefore, left: cols.padBefore };
  return { h, w, c, kh, kw, sh, sw, ...windows };
}

/** Scratch for {@link windowTaps}: two slots for each tap of a window. */
export const tapScratch = (g: WindowGrid): Int32Array => new Int32Array(2 * g.kh * g.kw);

/**
 * The taps of window (oy, ox) that fall inside the input, in row-major order, written to
 * `out` in pairs: the tap's index i·kw + j in the window, then its pixel y·w + x in the
 * input. Padding taps are left out. Returns how many values it wrote (twice the taps).
 */
export function windowTaps(g: WindowGrid, oy: number, ox: number, out: Int32Array): number {
  let n = 0;
  for (let i = 0; i < g.kh; i++) {
    const y = oy * g.sh + i - g.top;
    if (y < 0 || y >= g.h) continue;
    for (let j = 0; j < g.kw; j++) {
      const x = ox * g.sw + j - g.left;
      if (x < 0 || x >= g.w) continue;
      out[n++] = i * g.kw + j;
      out[n++] = y * g.w + x;
    }
  }
  return n;
}
