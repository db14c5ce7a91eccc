import { beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { kerasConvnet } from "../../../bench/keras-convnet.ts";
import { loadIdxDataset } from "../../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../../src/core/data/dataset.ts";
import { Rng } from "../../../src/core/data/rng.ts";
import { parseTopology } from "../../../src/core/format/topology.ts";
import { forward, pixelsToInputs, predictPixelsBatch } from "../../../src/core/model/forward.ts";
import { initParams } from "../../../src/core/model/init.ts";
import { CONVNET_SPEC } from "../../../src/core/model/presets.ts";
import {
  conv2d,
  dense,
  flatten,
  type ModelLayout,
  modelLayout,
} from "../../../src/core/model/sequential.ts";
import { maxAbsDiff } from "../../support/reference.ts";
import { referenceOutput } from "../../support/sequential-reference.ts";
import { tfFlatWeights } from "../../support/tf-models.ts";

let data: Dataset;
const SAMPLES = 40;

beforeAll(async () => {
  data = await loadIdxDataset();
  await tf.setBackend("cpu");
});

/** Real MNIST test images, scaled, as `[SAMPLES, 28, 28, 1]`-ordered values. */
const testInputs = () => pixelsToInputs(data.test.images.subarray(0, SAMPLES * 784));

/** Our forward vs tfjs predict on the same inputs and weights. */
function compare(model: tf.LayersModel, layout: ModelLayout, params: Float32Array) {
  const inputs = testInputs();
  const x = tf.tensor(inputs, [SAMPLES, ...layout.inputShape]);
  const y = model.predict(x) as tf.Tensor;
  const expected = y.dataSync();
  tf.dispose([x, y]);
  const ours = forward({ layout, params }, inputs, SAMPLES);
  expect(ours.length).toBe(expected.length);
  return maxAbsDiff(ours, expected);
}

/** Some biases non-zero, so every term of the forward pass counts. */
function withBiases(layout: ModelLayout, params: Float32Array): Float32Array {
  const rng = Rng.fromSeed(9);
  for (const w of layout.weights)
    if (w.name.endsWith("/bias"))
      for (let i = 0; i < w.size; i++) params[w.offset + i] = 0.1 * (rng.next() - 0.5);
  return params;
}

describe("plain-TS Sequential forward against tfjs", () => {
  test("the convnet preset: same probabilities as the same network in tf.layers, within 1e-5", () => {
    const layout = modelLayout(CONVNET_SPEC);
    const params = withBiases(layout, initParams(layout.spec, 1));
    const model = kerasConvnet();
    const weights = layout.weights.map((w) =>
      tf.tensor(params.subarray(w.offset, w.offset + w.size), [...w.shape]),
    );
    model.setWeights(weights);
    tf.dispose(weights);
    expect(compare(model, layout, params)).toBeLessThan(1e-5);
    model.dispose();
  });

  test("Conv2D(16, 5×5, strides 2, same) → Flatten → Dense(10) as tfjs model.toJSON() writes it", () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          filters: 16,
          kernelSize: 5,
          strides: 2,
          padding: "same",
          inputShape: [28, 28, 1],
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const layout = modelLayout(parseTopology(model.toJSON()));
    expect(layout.layers[0].outputShape).toEqual([14, 14, 16]);
    // tfjs's own glorot-normal weights, in our flat order (the weights.bin order).
    expect(compare(model, layout, tfFlatWeights(model))).toBeLessThan(1e-5);
    model.dispose();
  });

  test("every layer (uneven same padding, pooling negatives with padding, dropout, reshape, no bias) from model.toJSON()", () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          filters: 6,
          kernelSize: [4, 3],
          strides: [2, 1],
          padding: "same",
          inputShape: [28, 28, 1],
        }),
        tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }),
        tf.layers.conv2d({
          filters: 5,
          kernelSize: 2,
          strides: 2,
          useBias: false,
          activation: "relu",
        }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.maxPooling2d({ poolSize: [2, 1] }),
        tf.layers.reshape({ targetShape: [35] }),
        tf.layers.dense({ units: 12, activation: "relu", biasInitializer: "randomUniform" }),
        tf.layers.dense({ units: 10, activation: "softmax", useBias: false }),
      ],
    });
    const layout = modelLayout(parseTopology(model.toJSON()));
    const params = tfFlatWeights(model);
    expect(compare(model, layout, params)).toBeLessThan(1e-5);
    // And the independent float64 reference, sample by sample.
    const inputs = testInputs();
    const ours = forward({ layout, params }, inputs.subarray(0, 3 * 784), 3);
    for (let b = 0; b < 3; b++) {
      const ref = referenceOutput(
        layout,
        params,
        inputs.subarray(b * 784, (b + 1) * 784),
        [],
        true,
      );
      expect(maxAbsDiff(ours.subarray(b * 10, (b + 1) * 10), ref)).toBeLessThan(1e-6);
    }
    model.dispose();
  });
});

describe("plain-TS Sequential forward", () => {
  const layout = modelLayout(CONVNET_SPEC);
  const params = initParams(layout.spec, 2);
  const model = { layout, params };

  test("batch N gives the same rows as N batch-1 calls", () => {
    const inputs = Float32Array.from({ length: 3 * 784 }, (_, i) => (Math.sin(i) + 1) / 2);
    const batched = forward(model, inputs, 3);
    for (let b = 0; b < 3; b++) {
      const one = forward(model, inputs.subarray(b * 784, (b + 1) * 784));
      expect(maxAbsDiff(batched.subarray(b * 10, (b + 1) * 10), one)).toBe(0);
    }
  });

  test("predictions are the argmax of probabilities summing to 1", () => {
    const [p] = predictPixelsBatch(model, [data.test.images.subarray(0, 784)]);
    expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p.confidence).toBe(Math.max(...p.probabilities));
    expect(p.probabilities[p.label]).toBe(p.confidence);
  });

  test("wrong input length, batch or parameter count is a clear error", () => {
    expect(() => forward(model, [1, 2, 3])).toThrow("expected 1 × 784 = 784 input values, got 3");
    expect(() => forward(model, new Float32Array(784), 0)).toThrow(
      "batch must be a positive integer",
    );
    expect(() => forward({ layout, params: new Float32Array(3) }, new Float32Array(784))).toThrow(
      "expected 93322 parameters for this layout, got 3",
    );
    expect(() => predictPixelsBatch(model, [new Uint8Array(784), new Uint8Array(5)])).toThrow(
      "image 1 has 5 pixels, expected 784",
    );
  });
});

test("every Keras activation in the serving forward, against the float64 reference", () => {
  const layout = modelLayout({
    inputShape: [6, 6, 1],
    layers: [
      conv2d(3, 3, { activation: "elu" }),
      conv2d(2, 2, { activation: "softmax" }),
      flatten(),
      dense(7, { activation: "gelu" }),
      dense(6, { activation: "tanh" }),
      dense(5, { activation: "sigmoid" }),
      dense(4, { activation: "linear" }),
      dense(3, { activation: "softmax" }),
    ],
  });
  const params = initParams(layout.spec, 3);
  const rng = Rng.fromSeed(5);
  const samples = Array.from({ length: 4 }, () =>
    Array.from({ length: 36 }, () => rng.next() * 4 - 2),
  );
  const got = forward({ layout, params }, samples.flat(), samples.length);
  const want = samples.flatMap((s) => Array.from(referenceOutput(layout, params, s, [], true)));
  expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
  expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.05);
});
