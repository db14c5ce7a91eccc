import {
  conv2d,
  dense,
  flatten,
  type ModelSpec,
  maxPooling2d,
} from "../../src/core/model/sequential.ts";

/**
 * A convnet small enough for quick real runs on MNIST: Conv2D(filters, 3×3, relu) →
 * MaxPooling2D(2) → Flatten → Dense(10, softmax); 6,810 parameters with 4 filters.
 */
export function smallConvnet(filters = 4): ModelSpec {
  return {
    inputShape: [28, 28, 1],
    layers: [
      conv2d(filters, 3, { activation: "relu" }),
      maxPooling2d(2),
      flatten(),
      dense(10, { activation: "softmax" }),
    ],
  };
}
