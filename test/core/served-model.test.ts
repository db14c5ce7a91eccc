import { describe, expect, test } from "bun:test";
import { initParams } from "../../src/core/init.ts";
import { fromLayersModel, toModelJson, weightsBytes } from "../../src/core/layers-format.ts";
import { sequentialForward } from "../../src/core/model/forward.ts";
import { toSequentialModelJson } from "../../src/core/model/layers-json.ts";
import { CONVNET_SPEC } from "../../src/core/model/presets.ts";
import { dense, sequentialLayout } from "../../src/core/model/sequential.ts";
import {
  describeModel,
  isSequentialModel,
  loadServedModel,
  modelJsonOf,
  predictImage,
} from "../../src/core/served-model.ts";
import { DEFAULT_SPEC } from "../../src/core/spec.ts";
import { layerSummaries } from "../../src/dashboard/events.ts";

const mlpParams = initParams(DEFAULT_SPEC, 2);
const mlpJson = () => JSON.parse(JSON.stringify(toModelJson(DEFAULT_SPEC)));

describe("loadServedModel", () => {
  test("an MLP model.json loads with the Dense-stack reader and round-trips byte for byte", () => {
    const model = loadServedModel(mlpJson(), weightsBytes(mlpParams));
    expect(isSequentialModel(model)).toBe(false);
    expect(model).toEqual(fromLayersModel(mlpJson(), weightsBytes(mlpParams)));
    expect(JSON.stringify(modelJsonOf(model))).toBe(JSON.stringify(toModelJson(DEFAULT_SPEC)));
    expect(describeModel(model)).toBe("784→512→10");
  });

  test("a broken MLP file keeps the Dense-stack reader's error", () => {
    const json = mlpJson();
    json.modelTopology.config.layers[1].config.activation = "tanh";
    const bytes = weightsBytes(mlpParams);
    expect(() => loadServedModel(json, bytes)).toThrow(
      /model\.json: modelTopology\.config\.layers\[1\]\.config\.activation: expected "softmax", got "tanh"/,
    );
  });

  test("a Dense stack the MLP reader refuses (a linear layer) loads as a Sequential", () => {
    const layout = sequentialLayout({
      inputShape: [784],
      layers: [dense(16), dense(10, { activation: "softmax" })],
    });
    const params = initParams(layout.spec, 3);
    const model = loadServedModel(toSequentialModelJson(layout), weightsBytes(params));
    expect(isSequentialModel(model)).toBe(true);
    expect(describeModel(model)).toBe("784 → Dense(16) → Dense(10, softmax)");
  });

  test("a convnet loads as a Sequential and predicts with the general forward pass", () => {
    const layout = sequentialLayout(CONVNET_SPEC);
    const params = initParams(CONVNET_SPEC, 4);
    const json = JSON.parse(JSON.stringify(toSequentialModelJson(layout)));
    const model = loadServedModel(json, weightsBytes(params));
    expect(isSequentialModel(model)).toBe(true);
    expect(describeModel(model)).toBe(
      "28×28×1 → Conv2D(32, 3×3, relu) → MaxPooling2D(2×2) → Conv2D(64, 3×3, relu) → MaxPooling2D(2×2) → Conv2D(64, 3×3, relu) → Flatten → Dense(64, relu) → Dense(10, softmax)",
    );
    const pixels = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    const probabilities = sequentialForward(
      { layout, params },
      Float32Array.from(pixels, (v) => v / 255),
    );
    expect(predictImage(model, pixels).probabilities).toEqual(Array.from(probabilities));
  });

  test("a convnet's summary is checked as the MLP's is: its confusion matrix, by name", () => {
    const layout = sequentialLayout(CONVNET_SPEC);
    const weights = weightsBytes(initParams(CONVNET_SPEC, 4));
    const summary = {
      ...{ data: "d", epochs: 1, batchSize: 64, workers: 1, seed: 1 },
      ...{ testAccuracy: 0.5, testLoss: 1, trainSeconds: 1, date: "" },
    };
    const withConfusion = (confusion: number[][]) =>
      loadServedModel(toSequentialModelJson(layout, { ...summary, confusion }), weights);
    const square = (n: number) => Array.from({ length: n }, () => new Array(n).fill(1));
    expect(withConfusion(square(10)).summary?.confusion).toEqual(square(10));
    expect(() => withConfusion(square(2))).toThrow(
      "userDefinedMetadata.shardfit.confusion: expected 10 × 10 (the model's classes), got 2 × 2",
    );
    expect(() => withConfusion([[1, -1]])).toThrow(
      "userDefinedMetadata.shardfit.confusion: expected a square matrix of counts",
    );
  });
});

describe("layerSummaries (the dashboard's model panel)", () => {
  test("lists every convnet layer with its sizes and parameters", () => {
    const rows = layerSummaries(CONVNET_SPEC);
    expect(rows.map((r) => r.activation)).toEqual([
      "relu",
      "none",
      "relu",
      "none",
      "relu",
      "none",
      "relu",
      "softmax",
    ]);
    expect(rows[0]).toEqual({
      name: "conv2d_Conv2D1",
      inputs: 784,
      units: 26 * 26 * 32,
      activation: "relu",
      parameters: 320,
    });
    expect(rows.reduce((a, r) => a + r.parameters, 0)).toBe(93322);
  });

  test("the MLP's rows are as before", () => {
    expect(layerSummaries(DEFAULT_SPEC)).toEqual([
      { name: "dense_1", inputs: 784, units: 512, activation: "relu", parameters: 401920 },
      { name: "dense_2", inputs: 512, units: 10, activation: "softmax", parameters: 5130 },
    ]);
  });
});
