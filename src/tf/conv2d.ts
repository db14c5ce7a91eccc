import * as tf from "@tensorflow/tfjs-core";
import { col2im } from "../core/model/col2im.ts";
import {
  type Conv2DLayer,
  type Padding,
  type Pair,
  windowGeometry,
} from "../core/model/sequential.ts";
import { windowGrid } from "../core/model/window-grid.ts";
import { valuesOf } from "./transfer.ts";

/**
 * Conv2D forward and hand-derived backward on tfjs, channels-last (x `[B, H, W, C]`, kernel
 * `[kh, kw, cin, cout]`). tfjs-wasm has no Conv2DBackpropFilter kernel (so tfjs's autodiff
 * cannot train a conv there) and its `transposeA` matMul is ~15× slower than an explicit
 * transpose: the kernel gradient is an im2col product with explicit transposes instead.
 */

/** The geometry of a windowed op on an `[H, W]` input: output size and zero padding. */
export interface Window {
  readonly size: Pair;
  readonly strides: Pair;
  readonly padding: Padding;
}

/** One-hot depthwise filters `[kh, kw, C, kh·kw]` that copy tap (i, j) to channel i·kw + j. */
function tapFilters(kh: number, kw: number, c: number): tf.Tensor4D {
  const values = new Float32Array(kh * kw * c * kh * kw);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = i * kw + j;
      for (let ch = 0; ch < c; ch++) values[(tap * c + ch) * kh * kw + tap] = 1;
    }
  }
  return tf.tensor4d(values, [kh, kw, c, kh * kw]);
}

/**
 * im2col: every receptive field of `x` as one row, `[B·oh·ow, C·kh·kw]`, its columns ordered
 * (c, i, j). A depthwise conv with one-hot filters builds it in one native pass (wasm's
 * DepthwiseConv2dNative, ~C·kh·kw·kh·kw flops per output pixel), padding included;
 * kh·kw strided slices and a concat were ~10× slower on wasm.
 */
export function im2col(x: tf.Tensor4D, win: Window): tf.Tensor2D {
  return tf.tidy(() => {
    const [kh, kw] = win.size;
    const c = x.shape[3];
    const patches = tf.depthwiseConv2d(
      x,
      tapFilters(kh, kw, c),
      win.strides as [number, number],
      win.padding,
    );
    return tf.reshape(patches, [-1, c * kh * kw]) as tf.Tensor2D;
  });
}

/**
 * The kernel rotated by 180° with its channel axes swapped, `[kh, kw, cout, cin]`: the filter
 * of the input gradient's correlation. Built in JS from the (small) kernel's values: wasm's
 * Reverse took ~2 ms for a 3×3×64×64 kernel.
 */
function flippedKernel(kernel: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  const src = kernel.dataSync();
  const out = new Float32Array(src.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * cin * cout;
      const to = ((kh - 1 - i) * kw + (kw - 1 - j)) * cout * cin;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) out[to + co * cin + ci] = src[from + ci * cout + co];
      }
    }
  }
  return tf.tensor4d(out, [kh, kw, cout, cin]);
}

/** tfjs's explicit NHWC padding: `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Zero padding `[top, bottom, left, right]` a stride-1 conv of `layer` puts around x. */
function stride1Padding(x: tf.Tensor4D, dz: tf.Tensor4D, layer: Conv2DLayer) {
  const [kh, kw] = layer.kernelSize;
  const [, h, w] = x.shape;
  const [, oh, ow] = dz.shape;
  const top = windowGeometry(h, kh, 1, layer.padding).padBefore;
  const left = windowGeometry(w, kw, 1, layer.padding).padBefore;
  return [top, oh - 1 + kh - h - top, left, ow - 1 + kw - w - left] as const;
}

/**
 * ∂loss/∂x of a stride-1 conv: the full correlation of dz with the flipped kernel, i.e. a
 * plain conv2d (XNNPACK's fast path) of dz padded so the output has x's size.
 */
function inputGradientByConv(
  dz: tf.Tensor4D,
  kernel: tf.Tensor4D,
  x: tf.Tensor4D,
  layer: Conv2DLayer,
) {
  const [kh, kw] = layer.kernelSize;
  const [top, bottom, left, right] = stride1Padding(x, dz, layer);
  const pad: ExplicitPadding = [
    [0, 0],
    [kh - 1 - top, kh - 1 - bottom],
    [kw - 1 - left, kw - 1 - right],
    [0, 0],
  ];
  return tf.conv2d(dz, flippedKernel(kernel), 1, pad);
}

/**
 * ∂loss/∂x as col2im(dz·Kᵀ) (core/model/col2im.ts): one matMul of the output's size, then each
 * window's row added back in plain TS. The full correlation above computes every input pixel
 * from a padded grid, H·W/(oh·ow) times the product's work (2.8× for a 5×5 → 3×3 conv), and
 * wasm's conv2dTranspose, the usual way for strided convs, is a slow plain loop.
 */
function inputGradientByCol2im(
  dz: tf.Tensor4D,
  kernel: tf.Tensor4D,
  x: tf.Tensor4D,
  layer: Conv2DLayer,
) {
  const [kh, kw, cin, cout] = kernel.shape;
  const [b, ...input] = x.shape;
  const kT = tf.transpose(tf.reshape(kernel, [kh * kw * cin, cout])) as tf.Tensor2D;
  const cols = tf.matMul(tf.reshape(dz, [-1, cout]) as tf.Tensor2D, kT);
  // A view of the wasm heap, read before tfjs allocates again.
  const dx = col2im(valuesOf(cols), b, windowGrid(input, layer));
  return tf.tensor4d(dx, x.shape);
}

/** Strided convs, and convs whose full correlation would do ≥ 2× the product's work. */
function inputGradient(dz: tf.Tensor4D, kernel: tf.Tensor4D, x: tf.Tensor4D, layer: Conv2DLayer) {
  const stride1 = layer.strides[0] === 1 && layer.strides[1] === 1;
  const [, h, w] = x.shape;
  const [, oh, ow] = dz.shape;
  const byCol2im = !stride1 || h * w >= 2 * oh * ow;
  return (byCol2im ? inputGradientByCol2im : inputGradientByConv)(dz, kernel, x, layer);
}

/** Kernel and (if asked for) bias gradients. */
interface WeightGradients {
  readonly kernel: tf.Tensor4D;
  readonly bias?: tf.Tensor1D;
}

/**
 * dK (and db) of a stride-1 conv as one more conv, with no im2col: dK[i, j, ci, co] =
 * Σ_{b, y, x} x[b, y + i, x + j, ci]·dz[b, y, x, co] is x with its batch and channel axes
 * swapped (`[cin, H, W, B]`) convolved with dz as the filter (`[oh, ow, B, cout]`); the
 * output `[cin, kh, kw, cout]` is dK with two axes swapped. An extra all-ones channel gives
 * db = Σ dz at the tap that never reads padding (a Sum over dz's leading axes transposes it
 * first on wasm: ~3 ms for the convnet's first layer).
 */
function weightGradientsByConv(
  x: tf.Tensor4D,
  dz: tf.Tensor4D,
  layer: Conv2DLayer,
  bias: boolean,
): WeightGradients {
  const [b, h, w, cin] = x.shape;
  const cout = dz.shape[3];
  const [top, bottom, left, right] = stride1Padding(x, dz, layer);
  const pad: ExplicitPadding = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  let swapped = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
  if (bias) swapped = tf.concat([swapped, tf.ones([1, h, w, b])]);
  const filter = tf.transpose(dz, [1, 2, 0, 3]) as tf.Tensor4D;
  const out = tf.conv2d(swapped, filter, 1, pad);
  const dK = tf.slice(out, 0, cin);
  const kernel = tf.transpose(dK, [1, 2, 0, 3]) as tf.Tensor4D;
  if (!bias) return { kernel };
  return { kernel, bias: tf.reshape(tf.slice(out, [cin, top, left, 0], [1, 1, 1, cout]), [cout]) };
}

/**
 * dK (and db) as im2col(x)ᵀ·dz, for strided convs and few taps (the first layer's 9 × 1: its
 * patches are smaller than dz). XNNPACK re-packs a matMul's right operand on every call, so the
 * smaller of patches `[M, cin·kh·kw]` and dz `[M, cout]` goes on the right, with explicit
 * transposes (wasm's transposeA matMul is ~15× slower).
 */
function weightGradientsByIm2col(
  x: tf.Tensor4D,
  dz: tf.Tensor4D,
  layer: Conv2DLayer,
  bias: boolean,
): WeightGradients {
  const [kh, kw] = layer.kernelSize;
  const cin = x.shape[3];
  const cout = dz.shape[3];
  const patches = im2col(x, convWindow(layer));
  const dz2 = tf.reshape(dz, [-1, cout]) as tf.Tensor2D;
  let dK2: tf.Tensor2D;
  let db: tf.Tensor | undefined;
  if (cout <= kh * kw * cin) {
    dK2 = tf.matMul(tf.transpose(patches), dz2);
    if (bias) db = tf.sum(dz2, 0);
  } else {
    const dzT = tf.transpose(dz2);
    dK2 = tf.transpose(tf.matMul(dzT, patches));
    if (bias) db = tf.sum(dzT, 1);
  }
  // Rows of dK2 are (cin, i, j); the kernel is [kh, kw, cin, cout].
  const kernel = tf.transpose(tf.reshape(dK2, [cin, kh, kw, cout]), [1, 2, 0, 3]) as tf.Tensor4D;
  return db ? { kernel, bias: db as tf.Tensor1D } : { kernel };
}

export const convWindow = (layer: Conv2DLayer): Window => ({
  size: layer.kernelSize,
  strides: layer.strides,
  padding: layer.padding,
});

/**
 * z = conv(x, kernel) + bias, before the activation. tf.conv2d (XNNPACK on wasm): forward +
 * backward costs the same as an im2col forward whose patches the backward reuses
 * (bench/conv.ts), and evaluation, which needs no patches, is up to 2× faster this way.
 */
export function conv2dForward(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  layer: Conv2DLayer,
): tf.Tensor4D {
  return tf.tidy(() => {
    const z = tf.conv2d(x, kernel, layer.strides as [number, number], layer.padding);
    return bias ? tf.add(z, bias) : z;
  });
}

/**
 * conv(x, kernel) + bias, through a ReLU if the layer has one, as one fused op: XNNPACK adds
 * the bias and clamps as it writes the output (two fewer passes over it). Other activations
 * are left to the caller, as with {@link conv2dForward}.
 */
export function conv2dForwardRelu(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  layer: Conv2DLayer,
): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: kernel,
    strides: layer.strides as [number, number],
    pad: layer.padding,
    bias,
    activation: layer.activation === "relu" ? "relu" : "linear",
  });
}

export interface Conv2DGradients {
  readonly kernel: tf.Tensor4D;
  readonly bias?: tf.Tensor1D;
  /** Omitted when not asked for (the first layer's input needs no gradient). */
  readonly x?: tf.Tensor4D;
}

export interface Conv2DBackwardOptions {
  readonly bias: boolean;
  readonly inputGradient: boolean;
}

/** Which way dK and db are computed for this layer (see {@link conv2dBackward}). */
function weightGradientsFor(kernel: tf.Tensor4D, layer: Conv2DLayer) {
  const [kh, kw, cin, cout] = kernel.shape;
  const stride1 = layer.strides[0] === 1 && layer.strides[1] === 1;
  return stride1 && kh * kw * cin >= cout ? weightGradientsByConv : weightGradientsByIm2col;
}

/**
 * Gradients of a conv given dz = ∂loss/∂z (`[B, oh, ow, cout]`): dK and db by
 * {@link weightGradientsByConv} for stride-1 convs with more taps than filters, else by
 * {@link weightGradientsByIm2col}; dx by {@link inputGradient}.
 */
export function conv2dBackward(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  dz: tf.Tensor4D,
  layer: Conv2DLayer,
  options: Conv2DBackwardOptions,
): Conv2DGradients {
  return tf.tidy(() => {
    const byWay = weightGradientsFor(kernel, layer);
    const weights = byWay(x, dz, layer, options.bias);
    const grads: { kernel: tf.Tensor4D; bias?: tf.Tensor1D; x?: tf.Tensor4D } = { ...weights };
    if (options.inputGradient) grads.x = inputGradient(dz, kernel, x, layer);
    return grads;
  });
}
