import * as tf from "@tensorflow/tfjs";

/**
 * The ch. 5 convnet as Keras (and tf.layers) define it, uncompiled: the bench's `model.fit`
 * baseline and the plain-TS forward's reference test (test/core/model/sequential-forward.test.ts)
 * build the same network from here.
 */
export function kerasConvnet(classes = 10): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", inputShape: [28, 28, 1] }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: "relu" }),
      tf.layers.dense({ units: classes, activation: "softmax" }),
    ],
  });
}
