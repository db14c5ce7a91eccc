/** The predict app serving a convnet: the same routes as the MLP, through the general forward. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import { encodeBase64Url } from "../../src/core/base64url.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { predictPixelsBatch } from "../../src/core/model/forward.ts";
import { fromLayersModel, type LoadedModel } from "../../src/core/model/layers-json.ts";
import { decodePngGray } from "../../src/core/png.ts";
import { preprocessGray } from "../../src/core/preprocess.ts";
import { createApp } from "../../src/server/app.ts";
import { train } from "../../src/train/train.ts";
import { grayPng, renderDigit } from "../support/render.ts";
import { smallConvnet } from "../support/small-convnet.ts";

let dir: string;
let data: Dataset;
let model: LoadedModel;
let app: Hono;

beforeAll(async () => {
  data = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-predict-convnet-"));
  await train({
    dataset: data,
    workers: 1,
    epochs: 1,
    trainLimit: 3000,
    testLimit: 200,
    out: join(dir, "model"),
    checkpointDir: false,
    model: smallConvnet(8),
  });
  model = await loadModelDir(join(dir, "model"));
  app = createApp({ model });
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const digit = (i: number) => data.test.images.subarray(i * 784, (i + 1) * 784);
const expected = (...pixels: ArrayLike<number>[]) => predictPixelsBatch(model, pixels);

describe("serving a convnet", () => {
  test("GET /predict answers what the plain-TS forward pass predicts", async () => {
    const res = await app.request(`/predict?pixels=${encodeBase64Url(digit(0))}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { label: number; probabilities: number[] };
    const [want] = expected(digit(0));
    expect(body.label).toBe(want.label);
    expect(body.probabilities).toEqual(want.probabilities);
  });

  test("POST JSON: one image and a batch of instances", async () => {
    const post = (body: unknown) =>
      app.request("/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const one = await post({ pixels: Array.from(digit(1)) });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(expected(digit(1))[0]);
    const many = await post({ instances: [0, 1, 2, 3].map((i) => Array.from(digit(i))) });
    expect(many.status).toBe(200);
    const { predictions } = (await many.json()) as { predictions: unknown[] };
    expect(predictions).toEqual(expected(digit(0), digit(1), digit(2), digit(3)));
  });

  test("a trained convnet gets most test digits right through /predict", async () => {
    const n = 100;
    const images = Array.from({ length: n }, (_, i) => Array.from(digit(i)));
    const res = await app.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: images }),
    });
    const { predictions } = (await res.json()) as { predictions: { label: number }[] };
    const right = predictions.filter((p, i) => p.label === data.test.labels[i]).length;
    expect(right).toBeGreaterThan(70);
  });

  test("POST a PNG: preprocessed MNIST-style, then the convnet", async () => {
    const png = grayPng(
      renderDigit(digit(3), { scale: 4, canvas: [160, 140], at: [20, 10], darkOnLight: true }),
    );
    const res = await app.request("/predict", {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: png.slice(),
    });
    expect(res.status).toBe(200);
    const { pixels } = preprocessGray(await decodePngGray(png));
    expect(await res.json()).toEqual(expected(pixels)[0]);
  });

  test("a wrong pixel count is a 400 naming the expected size", async () => {
    const res = await app.request(`/predict?pixels=${encodeBase64Url(new Uint8Array(100))}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("784");
  });

  test("GET /model and /health describe the convnet", async () => {
    const res = await app.request("/model");
    expect(res.status).toBe(200);
    const info = (await res.json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      architecture:
        "28×28×1 → Conv2D(8, 3×3, relu) → MaxPooling2D(2×2) → Flatten → Dense(10, softmax)",
      inputShape: [28, 28, 1],
      inputSize: 784,
      classes: 10,
      parameters: 8 * 9 + 8 + 13 * 13 * 8 * 10 + 10,
    });
    expect(info.layers).toEqual([
      {
        name: "conv2d_Conv2D1",
        className: "Conv2D",
        outputShape: [26, 26, 8],
        activation: "relu",
        parameters: 80,
      },
      {
        name: "max_pooling2d_MaxPooling2D1",
        className: "MaxPooling2D",
        outputShape: [13, 13, 8],
        parameters: 0,
      },
      { name: "flatten_Flatten1", className: "Flatten", outputShape: [1352], parameters: 0 },
      {
        name: "dense_Dense1",
        className: "Dense",
        outputShape: [10],
        activation: "softmax",
        parameters: 13530,
      },
    ]);
    const health = await (await app.request("/health")).json();
    expect(health).toEqual({ ok: true, model: info.architecture });
  });

  test("/model.json and /weights.bin load back as the same model", async () => {
    const json = await (await app.request("/model.json")).json();
    const weights = new Uint8Array(await (await app.request("/weights.bin")).arrayBuffer());
    const again = fromLayersModel(json, weights);
    expect(again.params).toEqual(model.params);
    expect(again.spec).toEqual(model.spec);
  });
});
