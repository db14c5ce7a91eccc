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
