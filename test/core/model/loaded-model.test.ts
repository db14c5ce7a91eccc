import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  fromLayersModel,
  toModelJson,
  weightsBytes,
} from "../../../src/core/format/layers-json.ts";
import { describeSpec } from "../../../src/core/model/describe.ts";
import { forward, predictPixels } from "../../../src/core/model/forward.ts";
import { initParams } from "../../../src/core/model/init.ts";
import { CONVNET_SPEC, DEFAULT_SPEC, mlpSpec } from "../../../src/core/model/presets.ts";
import { dense, modelLayout } from "../../../src/core/model/sequential.ts";
import { layerSummaries } from "../../../src/dashboard/events.ts";

const mlpParams = initParams(DEFAULT_SPEC, 2);
const mlpJson = () => JSON.parse(JSON.stringify(toModelJson(DEFAULT_SPEC)));
const fixture = (file: string) =>
  readFileSync(fileURLToPath(new URL(`../../fixtures/v0.1/mlp/model/${file}`, import.meta.url)));

describe("fromLayersModel, the one model reader", () => {
  test("an MLP saved by shardfit 0.1 loads as its mlpSpec and is written back field for field", () => {
    const text = fixture("model.json").toString("utf8");
    const model = fromLayersModel(JSON.parse(text), fixture("weights.bin"));
    expect(describeSpec(model.spec)).toBe("784→16→10");
    expect(model.layout.size).toBe(784 * 16 + 16 + 16 * 10 + 10);
    // What /model.json serves, and so the ETag, is what 0.1 wrote.
    expect(JSON.stringify(toModelJson(model.spec, model.summary))).toBe(
      JSON.stringify(JSON.parse(text)),
    );
  });

  test("the default MLP's file round-trips", () => {
    const model = fromLayersModel(mlpJson(), weightsBytes(mlpParams));
    expect(model.params).toEqual(mlpParams);
    expect(JSON.stringify(toModelJson(model.spec))).toBe(JSON.stringify(toModelJson(DEFAULT_SPEC)));
    expect(describeSpec(model.spec)).toBe("784→512→10");
  });

  test("a broken MLP file is an error naming the layer and field", () => {
    const json = mlpJson();
    json.modelTopology.config.layers[1].config.activation = "swish";
    const bytes = weightsBytes(mlpParams);
    expect(() => fromLayersModel(json, bytes)).toThrow(
      /model\.json: layers\[1\] "dense_Dense2" \(Dense\): activation: expected "linear" or "relu" or "sigmoid" or "tanh" or "softmax" or "gelu" or "elu", got "swish"/,
    );
  });

  test("a Dense stack that is not an MLP (a linear layer) is described layer by layer", () => {
    const spec = { inputShape: [784], layers: [dense(16), dense(10, { activation: "softmax" })] };
    const model = fromLayersModel(toModelJson(spec), weightsBytes(initParams(spec, 3)));
    expect(describeSpec(model.spec)).toBe("784 → Dense(16) → Dense(10, softmax)");
    expect(describeSpec(mlpSpec([32, 16], 6, 3))).toBe("6→32→16→3");
  });

  test("a convnet loads and predicts with the plain-TS forward pass", () => {
    const layout = modelLayout(CONVNET_SPEC);
    const params = initParams(CONVNET_SPEC, 4);
    const json = JSON.parse(JSON.stringify(toModelJson(CONVNET_SPEC)));
    const model = fromLayersModel(json, weightsBytes(params));
    expect(describeSpec(model.spec)).toBe(
      "28×28×1 → Conv2D(32, 3×3, relu) → MaxPooling2D(2×2) → Conv2D(64, 3×3, relu) → MaxPooling2D(2×2) → Conv2D(64, 3×3, relu) → Flatten → Dense(64, relu) → Dense(10, softmax)",
    );
    const pixels = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    const probabilities = forward(
      { layout, params },
      Float32Array.from(pixels, (v) => v / 255),
    );
    expect(predictPixels(model, pixels).probabilities).toEqual(Array.from(probabilities));
  });

  test("a model's summary is checked: its confusion matrix, by name", () => {
    const weights = weightsBytes(initParams(CONVNET_SPEC, 4));
    const summary = {
      ...{ data: "d", epochs: 1, batchSize: 64, workers: 1, seed: 1 },
      ...{ testAccuracy: 0.5, testLoss: 1, trainSeconds: 1, date: "" },
    };
    const withConfusion = (confusion: number[][]) =>
      fromLayersModel(toModelJson(CONVNET_SPEC, { ...summary, confusion }), weights);
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

  test("the MLP's rows carry the names its model.json gives the layers", () => {
    expect(layerSummaries(DEFAULT_SPEC)).toEqual([
      { name: "dense_Dense1", inputs: 784, units: 512, activation: "relu", parameters: 401920 },
      { name: "dense_Dense2", inputs: 512, units: 10, activation: "softmax", parameters: 5130 },
    ]);
  });
});
