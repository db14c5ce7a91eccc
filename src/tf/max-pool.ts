import * as tf from "@tensorflow/tfjs";
import { type MaxPooling2DLayer, windowGeometry } from "../core/model/sequential.ts";

/**
 * MaxPooling2D on tfjs, with a backward built from plain ops. tfjs-wasm registers a
 * MaxPoolGrad kernel, but tfjs-backend-wasm 4.22's is wrong: probed on 2×2 windows, a window
 * whose maximum is below an earlier window's (same image and channel) got no gradient at all,
 * as if the running maximum were not reset between windows, and a tie went to the last
 * maximum, not TensorFlow's first.
 */

export function maxPoolForward(x: tf.Tensor4D, layer: MaxPooling2DLayer): tf.Tensor4D {
  return tf.maxPool(
    x,
    layer.poolSize as [number, number],
    layer.strides as [number, number],
    layer.padding,
  );
}

/** The lowest float32: padding that never wins a window (−∞ would make 0·pad NaN). */
const LOWEST = -3.4028234663852886e38;

interface PoolGeometry {
  readonly oh: number;
  readonly ow: number;
  readonly top: number;
  readonly left: number;
}

function geometry(x: tf.Tensor4D, layer: MaxPooling2DLayer): PoolGeometry {
  const [, h, w] = x.shape;
  const rows = windowGeometry(h, layer.poolSize[0], layer.strides[0], layer.padding);
  const cols = windowGeometry(w, layer.poolSize[1], layer.strides[1], layer.padding);
  return { oh: rows.out, ow: cols.out, top: rows.padBefore, left: cols.padBefore };
}

/** One-hot depthwise filters `[kh, kw, C, kh·kw]` that copy tap (i, j) to channel i·kw + j. */
function tapFilters(kh: number, kw: number, c: number): tf.Tensor4D {
  const taps = kh * kw;
  const values = new Float32Array(taps * c * taps);
  for (let tap = 0; tap < taps; tap++) {
    for (let ch = 0; ch < c; ch++) values[(tap * c + ch) * taps + tap] = 1;
  }
  return tf.tensor4d(values, [kh, kw, c, taps]);
}

/**
 * Which tap (i·kw + j) of each window holds its maximum, `[B, oh, ow, C]`: the first one in
 * row-major order on a tie, as TensorFlow's MaxPoolGrad picks. The windows are gathered by a
 * depthwise conv with one-hot filters (strided slices are ~20× slower on wasm), over input
 * padded with the lowest float so padding never wins.
 */
function winners(x: tf.Tensor4D, layer: MaxPooling2DLayer, g: PoolGeometry): tf.Tensor {
  const [b, h, w, c] = x.shape;
  const [kh, kw] = layer.poolSize;
  const [sh, sw] = layer.strides;
  const bottom = Math.max(0, (g.oh - 1) * sh + kh - h - g.top);
  const right = Math.max(0, (g.ow - 1) * sw + kw - w - g.left);
  const padded =
    g.top + bottom + g.left + right === 0
      ? x
      : tf.pad(
          x,
          [
            [0, 0],
            [g.top, bottom],
            [g.left, right],
            [0, 0],
          ],
          LOWEST,
        );
  const windows = tf.depthwiseConv2d(padded, tapFilters(kh, kw, c), [sh, sw], "valid");
  return tf.argMax(tf.reshape(windows, [b, g.oh, g.ow, c, kh * kw]), 4);
}

/**
 * Gradients in padded coordinates when windows do not overlap (stride = pool size, the
 * common case): each window's one-hot winner times dy, moved back into place by one
 * transpose. `[B, oh·kh, ow·kw, C]`.
 */
function scatterTiles(win: tf.Tensor, dy: tf.Tensor4D, layer: MaxPooling2DLayer): tf.Tensor4D {
  const [b, oh, ow, c] = dy.shape;
  const [kh, kw] = layer.poolSize;
  const routed = tf.mul(tf.oneHot(tf.reshape(win, [-1]), kh * kw), tf.reshape(dy, [-1, 1]));
  const tiles = tf.transpose(tf.reshape(routed, [b, oh, ow, c, kh, kw]), [0, 1, 4, 2, 5, 3]);
  return tf.reshape(tiles, [b, oh * kh, ow * kw, c]);
}

/**
 * The same for overlapping windows: for each tap, dy where it won, spread to stride spacing
 * (zeros in between) and shifted to the tap's offset; the taps' sums.
 * `[B, oh·sh + kh − 1, ow·sw + kw − 1, C]`.
 */
function scatterOverlapping(win: tf.Tensor, dy: tf.Tensor4D, layer: MaxPooling2DLayer) {
  const [b, oh, ow, c] = dy.shape;
  const [kh, kw] = layer.poolSize;
  const [sh, sw] = layer.strides;
  const parts: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const won = tf.mul(dy, tf.cast(tf.equal(win, i * kw + j), "float32"));
      const spread = tf.reshape(
        tf.pad(tf.reshape(won, [b, oh, 1, ow, 1, c]), [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ]),
        [b, oh * sh, ow * sw, c],
      ) as tf.Tensor4D;
      // Tap (i, j) of window (oy, ox) is padded-input pixel (oy·sh + i, ox·sw + j).
      parts.push(
        tf.pad(spread, [
          [0, 0],
          [i, kh - 1 - i],
          [j, kw - 1 - j],
          [0, 0],
        ]),
      );
    }
  }
  return tf.addN(parts);
}

/**
 * A gradient grid in padded coordinates back in x's: rows and columns no window reached are
 * zero, the padding is dropped (a slice, only for "same" padding: wasm's Slice is slow).
 */
function toInputGrid(grid: tf.Tensor4D, g: PoolGeometry, shape: number[]): tf.Tensor4D {
  const [b, h, w, c] = shape;
  const [, gh, gw] = grid.shape;
  const bottom = Math.max(0, g.top + h - gh);
  const right = Math.max(0, g.left + w - gw);
  const full =
    bottom + right > 0
      ? tf.pad(grid, [
          [0, 0],
          [0, bottom],
          [0, right],
          [0, 0],
        ])
      : grid;
  const [, fh, fw] = full.shape;
  if (g.top === 0 && g.left === 0 && fh === h && fw === w) return full;
  return tf.slice(full, [0, g.top, g.left, 0], [b, h, w, c]);
}

/** ∂loss/∂x from dy = ∂loss/∂y, where y = maxPoolForward(x): dy goes to each window's maximum. */
export function maxPoolBackward(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  layer: MaxPooling2DLayer,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const g = geometry(x, layer);
    const win = winners(x, layer, g);
    const tiles = layer.strides[0] === layer.poolSize[0] && layer.strides[1] === layer.poolSize[1];
    const grid = tiles ? scatterTiles(win, dy, layer) : scatterOverlapping(win, dy, layer);
    return toInputGrid(grid, g, [b, h, w, c]);
  });
}
