import { conv2d, dense, flatten, maxPooling2d, type SequentialSpec } from "./sequential.ts";

/**
 * The two networks of "Deep Learning with Python": `--model mlp` (ch. 2, shardfit's default;
 * `--hidden` sets its widths) and `--model convnet` (ch. 5, 93,322 parameters). Both use
 * Keras's defaults: glorot-uniform kernels and zero biases.
 */

/** ReLU Dense layers of the given widths, then a softmax Dense; the layout of spec.ts. */
export function mlpSpec(hidden: readonly number[] = [512], inputSize = 784, classes = 10) {
  return {
    inputShape: [inputSize],
    layers: [
      ...hidden.map((units) => dense(units, { activation: "relu" })),
      dense(classes, { activation: "softmax" }),
    ],
  } satisfies SequentialSpec;
}

/** Conv(32)–pool–Conv(64)–pool–Conv(64)–Dense(64)–Dense(10) on 28×28×1 images. */
export const CONVNET_SPEC: SequentialSpec = {
  inputShape: [28, 28, 1],
  layers: [
    conv2d(32, 3, { activation: "relu" }),
    maxPooling2d(2),
    conv2d(64, 3, { activation: "relu" }),
    maxPooling2d(2),
    conv2d(64, 3, { activation: "relu" }),
    flatten(),
    dense(64, { activation: "relu" }),
    dense(10, { activation: "softmax" }),
  ],
};
