/**
 * A model trained on a CSV table takes raw rows by column name: the preprocessing saved in its
 * model.json (normalised numbers, one-hot strings) is applied by the server, and the answer
 * names the class. The inputs are rebuilt here by hand (mean, population variance, vocabulary
 * by frequency) as the independent reference.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { readCsvTable } from "../../src/core/data/csv-table.ts";
import {
  fromLayersModel,
  type LoadedModel,
  toModelJson,
  weightsBytes,
  withModelIo,
} from "../../src/core/format/layers-json.ts";
import { type ModelIo, modelIoOf } from "../../src/core/format/model-io.ts";
import { forward } from "../../src/core/model/forward.ts";
import { initParams } from "../../src/core/model/init.ts";
import { dense, type ModelSpec } from "../../src/core/model/sequential.ts";
import { createApp } from "../../src/server/app.ts";

const CSV = `Cylinders,Weight,Origin,Kind
4,2000,Japan,small
4,2200,Japan,small
6,3000,USA,big
8,4000,USA,big
4,2100,Europe,small
6,3100,Europe,big
`;

/** Built by hand: Weight normalised by its mean and population std; Origin one-hot by frequency. */
function referenceInputs(row: { Cylinders: number; Weight: number; Origin: string }) {
  const cylinders = [4, 4, 6, 8, 4, 6];
  const weights = [2000, 2200, 3000, 4000, 2100, 3100];
  const norm = (values: number[], x: number) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    return (x - mean) / Math.sqrt(variance);
  };
  // Europe, Japan and USA appear twice each: ties in string order, slot 0 for unknown values.
  const origin = [0, 0, 0, 0];
  origin[1 + ["Europe", "Japan", "USA"].indexOf(row.Origin)] = 1;
  return [norm(cylinders, row.Cylinders), norm(weights, row.Weight), ...origin];
}

let io: ModelIo;
let model: LoadedModel;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  const table = await readCsvTable(
    { file: "cars.csv", source: CSV },
    { target: "Kind", testSplit: 0 },
  );
  io = modelIoOf(table.data, { preprocessing: table.preprocessing });
  const spec: ModelSpec = {
    inputShape: [6],
    layers: [dense(5, { activation: "relu" }), dense(2, { activation: "softmax" })],
  };
  const params = initParams(spec, 3);
  const json = JSON.parse(JSON.stringify(withModelIo(toModelJson(spec), io)));
  model = fromLayersModel(json, weightsBytes(params));
  app = createApp({ model });
});

const post = (body: unknown) =>
  app.request("/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("a table model", () => {
  test("model.json keeps the preprocessing beside the weights and reads it back", () => {
    expect(model.ioSaved).toBe(true);
    expect(model.io).toEqual(io);
    expect(io.output).toEqual({ task: "classification", classNames: ["big", "small"] });
  });

  test("tf.loadLayersModel still loads the network (the io is userDefinedMetadata)", async () => {
    const json = withModelIo(toModelJson(model.spec), io);
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weightsBytes(model.params).slice().buffer,
        userDefinedMetadata: json.userDefinedMetadata as object,
      }),
    );
    const x = referenceInputs({ Cylinders: 6, Weight: 2500, Origin: "Japan" });
    const y = (loaded.predict(tf.tensor([x])) as tf.Tensor).dataSync();
    const ours = forward(model, Float32Array.from(x));
    for (let k = 0; k < 2; k++) expect(Math.abs(y[k] - ours[k])).toBeLessThan(1e-5);
  });

  test("POST /predict takes raw rows by column name and answers class names", async () => {
    const rows = [
      { Cylinders: 6, Weight: 2500, Origin: "Japan" },
      { Cylinders: 4, Weight: "3500", Origin: "USA", Kind: "ignored" },
    ];
    const res = await post({ rows });
    expect(res.status).toBe(200);
    const { predictions } = (await res.json()) as {
      predictions: { label: number; className: string; probabilities: number[] }[];
    };
    expect(predictions).toHaveLength(2);
    predictions.forEach((p, i) => {
      const row = { ...rows[i], Weight: Number(rows[i].Weight) };
      const want = forward(model, Float32Array.from(referenceInputs(row)));
      for (let k = 0; k < 2; k++) expect(p.probabilities[k]).toBeCloseTo(want[k], 5);
      expect(p.className).toBe(["big", "small"][p.label]);
      expect(p.label).toBe(want[1] > want[0] ? 1 : 0);
    });
  });

  test("a category not seen in training goes to the unknown slot", async () => {
    const res = await post({ rows: [{ Cylinders: 4, Weight: 2000, Origin: "Mars" }] });
    const { predictions } = (await res.json()) as { predictions: { probabilities: number[] }[] };
    const x = referenceInputs({ Cylinders: 4, Weight: 2000, Origin: "Europe" });
    x.splice(2, 4, 1, 0, 0, 0);
    const want = forward(model, Float32Array.from(x));
    expect(predictions[0].probabilities[0]).toBeCloseTo(want[0], 5);
  });

  test.each([
    [{ Cylinders: 4, Origin: "Japan" }, 'rows[0]: field "Weight" is missing'],
    [
      { Cylinders: 4, Weight: "heavy", Origin: "Japan" },
      'field "Weight" must be a finite number, got "heavy"',
    ],
    [{ Cylinders: 4, Weight: 2000, Origin: true }, 'field "Origin" must be a string, got true'],
    [{ Cylinders: 4, Weight: 2000, Origin: "Japan", Wheels: 4 }, 'unknown field "Wheels"'],
  ])("a bad row is a 400 naming the field: %j", async (row, message) => {
    const res = await post({ rows: [row] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(message);
  });

  test("instances of the input width are taken as model inputs, unscaled", async () => {
    const x = referenceInputs({ Cylinders: 8, Weight: 5000, Origin: "USA" });
    const res = await post({ instances: [x] });
    expect(res.status).toBe(200);
    const { predictions } = (await res.json()) as { predictions: { probabilities: number[] }[] };
    const want = forward(model, Float32Array.from(x));
    expect(predictions[0].probabilities[0]).toBeCloseTo(want[0], 5);
    const wrong = await post({ instances: [[1, 2, 3]] });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toContain("expected 6 values");
  });

  test("pixels, PNGs and GET /predict are refused: this model takes no images", async () => {
    expect((await post({ pixels: [1, 2, 3, 4, 5, 6] })).status).toBe(400);
    expect((await app.request("/predict?pixels=AAAA")).status).toBe(400);
  });

  test("GET /model describes the columns, their types and categories, and the classes", async () => {
    const info = (await (await app.request("/model")).json()) as Record<string, unknown>;
    expect(info.inputs).toEqual({
      kind: "table",
      shape: [6],
      columns: [
        { name: "Cylinders", type: "number", mean: 32 / 6 },
        { name: "Weight", type: "number", mean: 16400 / 6 },
        { name: "Origin", type: "string", categories: ["Europe", "Japan", "USA"] },
      ],
      missing: "drop",
      target: "Kind",
    });
    expect(info.outputs).toEqual({ task: "classification", classNames: ["big", "small"] });
  });
});

describe("a regression model on plain arrays", () => {
  test("instances of any finite numbers; the answer is a value", async () => {
    const spec: ModelSpec = { inputShape: [2], layers: [dense(1)] };
    const params = Float32Array.of(2, -3, 0.5);
    const data = {
      train: {
        x: { data: Float32Array.of(1, 2), shape: [1, 2] },
        y: { kind: "numbers" as const, data: Float32Array.of(1), outputs: 1 },
      },
      test: {
        x: { data: Float32Array.of(1, 2), shape: [1, 2] },
        y: { kind: "numbers" as const, data: Float32Array.of(1), outputs: 1 },
      },
    };
    const regression = fromLayersModel(
      JSON.parse(JSON.stringify(withModelIo(toModelJson(spec), modelIoOf(data)))),
      weightsBytes(params),
    );
    const served = createApp({ model: regression });
    const res = await served.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [[1000, -2]] }),
    });
    expect(await res.json()).toEqual({ predictions: [{ value: 2 * 1000 - 3 * -2 + 0.5 }] });
    const info = (await (await served.request("/model")).json()) as Record<string, unknown>;
    expect(info.outputs).toEqual({ task: "regression", outputs: 1 });
    const rows = await served.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: [{ a: 1 }] }),
    });
    expect(rows.status).toBe(400);
    expect(((await rows.json()) as { error: string }).error).toContain("takes no table rows");
  });

  test("a saved io that does not fit the network is refused by name", () => {
    const spec: ModelSpec = { inputShape: [2], layers: [dense(1)] };
    const json = JSON.parse(JSON.stringify(withModelIo(toModelJson(spec), io)));
    expect(() => fromLayersModel(json, weightsBytes(new Float32Array(3)))).toThrow(
      "shardfit_io: the table makes 6 inputs, the model takes 2",
    );
  });
});

describe("instances in the model's input shape", () => {
  test("nested arrays of a [2, 3] input are taken as the flat 6 values; a wrong length is named", async () => {
    const spec: ModelSpec = {
      inputShape: [2, 3],
      layers: [{ kind: "flatten" }, dense(1)],
    };
    const params = Float32Array.of(1, 2, 3, 4, 5, 6, 0.5);
    const data = {
      train: {
        x: { data: new Float32Array(6), shape: [1, 2, 3] },
        y: { kind: "numbers" as const, data: Float32Array.of(1), outputs: 1 },
      },
      test: {
        x: { data: new Float32Array(6), shape: [1, 2, 3] },
        y: { kind: "numbers" as const, data: Float32Array.of(1), outputs: 1 },
      },
    };
    const served = createApp({
      model: fromLayersModel(
        JSON.parse(JSON.stringify(withModelIo(toModelJson(spec), modelIoOf(data)))),
        weightsBytes(params),
      ),
    });
    const send = (instances: unknown) =>
      served.request("/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances }),
      });
    const nested = await send([
      [
        [1, 0, 0],
        [0, 0, 300],
      ],
    ]);
    const flat = await send([[1, 0, 0, 0, 0, 300]]);
    const want = { predictions: [{ value: 1 + 6 * 300 + 0.5 }] };
    expect(await nested.json()).toEqual(want);
    expect(await flat.json()).toEqual(want);
    const short = await send([
      [
        [1, 0, 0],
        [0, 0],
      ],
    ]);
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: string }).error).toBe(
      "body.instances[0][1]: expected an array of 3 (the input shape is [2, 3]), got 2 values",
    );
  });
});
