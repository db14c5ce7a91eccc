import * as tf from "@tensorflow/tfjs-core";
import { maxPoolGradient } from "../core/model/max-pool-gradient.ts";
import type { MaxPooling2DLayer } from "../core/model/sequential.ts";
import { windowGrid } from "../core/model/window-grid.ts";
import { valuesOf } from "./transfer.ts";

/**
 * MaxPooling2D on tfjs. The backward is not tfjs's: tfjs-backend-wasm 4.22 registers a
 * MaxPoolGrad kernel, but it is wrong (probed on 2×2 windows, a window whose maximum is below
 * an earlier window's, same image and channel, got no gradient at all, as if the running
 * maximum were not reset between windows, and a tie went to the last maximum, not
 * TensorFlow's first); the routing runs in plain TS on the downloaded values instead.
 */

export function maxPoolForward(x: tf.Tensor4D, layer: MaxPooling2DLayer): tf.Tensor4D {
  return tf.maxPool(
    x,
    layer.poolSize as [number, number],
    layer.strides as [number, number],
    layer.padding,
  );
}

/** ∂loss/∂x from dy = ∂loss/∂y, where y = maxPoolForward(x): dy goes to each window's maximum. */
export function maxPoolBackward(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  layer: MaxPooling2DLayer,
): tf.Tensor4D {
  // Views of the wasm heap, read before tfjs allocates again (tensor4d below).
  const dx = maxPoolGradient(
    valuesOf(x),
    valuesOf(dy),
    x.shape[0],
    windowGrid(x.shape.slice(1), layer),
  );
  return tf.tensor4d(dx, x.shape);
}
