import * as tf from "@tensorflow/tfjs";
import type { MaxPooling2DLayer } from "../core/model/sequential.ts";

/**
 * MaxPooling2D on tfjs. The backward runs the MaxPoolGrad kernel directly (both the cpu and
 * wasm backends register it; tfjs exports no op for it), routing each output's gradient to
 * the input that was the window's maximum.
 */

export function maxPoolForward(x: tf.Tensor4D, layer: MaxPooling2DLayer): tf.Tensor4D {
  return tf.maxPool(
    x,
    layer.poolSize as [number, number],
    layer.strides as [number, number],
    layer.padding,
  );
}

/** ∂loss/∂x from dy = ∂loss/∂y, where y = maxPoolForward(x). */
export function maxPoolBackward(
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  dy: tf.Tensor4D,
  layer: MaxPooling2DLayer,
): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(
      tf.MaxPoolGrad,
      { dy, input: x, output: y },
      { filterSize: layer.poolSize, strides: layer.strides, pad: layer.padding },
    ) as tf.Tensor4D;
}
