import * as tf from "@tensorflow/tfjs";
import {
  type Conv2DLayer,
  type Padding,
  type Pair,
  windowGeometry,
} from "../core/model/sequential.ts";

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
 * ∂loss/∂x of a stride-1 conv: the full correlation of dz with the kernel rotated by 180°
 * and its channels swapped, i.e. a plain conv2d (XNNPACK's fast path) of dz padded so the
 * output has x's size. Strided convs use tf.conv2dTranspose.
 */
function inputGradient(dz: tf.Tensor4D, kernel: tf.Tensor4D, x: tf.Tensor4D, layer: Conv2DLayer) {
  const [sh, sw] = layer.strides;
  if (sh !== 1 || sw !== 1) {
    return tf.conv2dTranspose(dz, kernel, x.shape, [sh, sw], layer.padding);
  }
  const [kh, kw] = layer.kernelSize;
  const [, h, w] = x.shape;
  const [, oh, ow] = dz.shape;
  const top = kh - 1 - windowGeometry(h, kh, 1, layer.padding).padBefore;
  const left = kw - 1 - windowGeometry(w, kw, 1, layer.padding).padBefore;
  const padded = tf.pad(dz, [
    [0, 0],
    [top, h + kh - 1 - oh - top],
    [left, w + kw - 1 - ow - left],
    [0, 0],
  ]);
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(padded, flipped, 1, "valid");
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

export interface Conv2DGradients {
  readonly kernel: tf.Tensor4D;
  readonly bias?: tf.Tensor1D;
  /** Omitted when not asked for (the first layer's input needs no gradient). */
  readonly x?: tf.Tensor4D;
}

/**
 * Gradients of a conv given dz = ∂loss/∂z (`[B, oh, ow, cout]`): dK = im2col(x)ᵀ·dz with
 * explicit transposes, db = Σ dz, dx by {@link inputGradient}. XNNPACK re-packs a matMul's
 * right operand on every call, so the smaller of patches `[M, cin·kh·kw]` and dz `[M, cout]`
 * goes on the right: for the convnet's middle layer that cut the product from ~80 to ~17 ms.
 */
export function conv2dBackward(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  dz: tf.Tensor4D,
  layer: Conv2DLayer,
  options: { bias: boolean; inputGradient: boolean },
): Conv2DGradients {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = kernel.shape;
    const patches = im2col(x, convWindow(layer));
    const dz2 = tf.reshape(dz, [-1, cout]) as tf.Tensor2D;
    const k = kh * kw * cin;
    const dK2 =
      cout <= k
        ? tf.matMul(tf.transpose(patches), dz2)
        : tf.transpose(tf.matMul(tf.transpose(dz2), patches));
    // Rows of dK2 are (cin, i, j); the kernel is [kh, kw, cin, cout].
    const dK = tf.transpose(tf.reshape(dK2, [cin, kh, kw, cout]), [1, 2, 0, 3]) as tf.Tensor4D;
    const grads: { kernel: tf.Tensor4D; bias?: tf.Tensor1D; x?: tf.Tensor4D } = { kernel: dK };
    if (options.bias) grads.bias = tf.sum(dz, [0, 1, 2]) as tf.Tensor1D;
    if (options.inputGradient) {
      grads.x = inputGradient(dz, kernel, x, layer);
    }
    return grads;
  });
}
