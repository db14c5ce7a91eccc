/**
 * A convnet served by the real runtimes: Bun and Deno (src/cli/serve.ts) and workerd (the
 * build:edge bundle). Their /predict answers must agree with each other, with shardfit's
 * plain-TS forward pass and with tfjs's own loadLayersModel of the served files.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { saveModelDir } from "../../src/adapter/fs/model-files.ts";
import type { ImageSet } from "../../src/core/dataset.ts";
import { describeSpec } from "../../src/core/model/describe.ts";
import { predictPixelsBatch } from "../../src/core/model/forward.ts";
import { initParams } from "../../src/core/model/init.ts";
import { CONVNET_SPEC } from "../../src/core/model/presets.ts";
import { modelLayout } from "../../src/core/model/sequential.ts";
import { maxAbsDiff } from "../support/reference.ts";
import { percentiles, type RealServer, RUNTIMES, startServer } from "../support/servers.ts";

const SAMPLES = 20;
let dir: string;
let test10k: ImageSet;
const params = initParams(CONVNET_SPEC, 11);
const servers: RealServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-convnet-servers-"));
  test10k = (await loadIdxDataset()).test;
  const summary = {
    data: "none (initial weights)",
    ...{ epochs: 0, batchSize: 64, workers: 1, seed: 11 },
    ...{ testAccuracy: Number.NaN, testLoss: Number.NaN, trainSeconds: 0, date: "" },
  };
  await saveModelDir(join(dir, "model"), CONVNET_SPEC, params, summary);
  for (const runtime of RUNTIMES) servers.push(await startServer(runtime, join(dir, "model")));
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

const image = (i: number) => test10k.images.slice(i * 500 * 784, (i * 500 + 1) * 784);

test("Bun, Deno and workerd serve the convnet: /health, /model, and the same predictions as tfjs", async () => {
  const images = Array.from({ length: SAMPLES }, (_, i) => image(i));
  const ours = predictPixelsBatch({ layout: modelLayout(CONVNET_SPEC), params }, images);

  await tf.setBackend("cpu");
  const first = servers[0].url;
  const json = await (await fetch(`${first}/model.json`)).json();
  const weightData = await (await fetch(`${first}/weights.bin`)).arrayBuffer();
  const tfModel = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData,
    }),
  );
  const x = tf.tensor4d(
    Float32Array.from(images.flatMap((img) => Array.from(img, (v) => v / 255))),
    [SAMPLES, 28, 28, 1],
  );
  const y = tfModel.predict(x) as tf.Tensor2D;
  const tfProbs = y.dataSync().slice();
  tf.dispose([x, y]);
  tfModel.dispose();
  expect(
    maxAbsDiff(
      tfProbs,
      ours.flatMap((p) => p.probabilities),
    ),
  ).toBeLessThanOrEqual(1e-5);

  for (const server of servers) {
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toEqual({ ok: true, model: describeSpec(CONVNET_SPEC) });
    const info = (await (await fetch(`${server.url}/model`)).json()) as { parameters: number };
    expect(info.parameters).toBe(93322);
    for (let i = 0; i < SAMPLES; i++) {
      const pixels = Buffer.from(images[i]).toString("base64url");
      const res = await fetch(`${server.url}/predict?pixels=${pixels}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { label: number; probabilities: number[] };
      expect(body.label).toBe(ours[i].label);
      expect(maxAbsDiff(body.probabilities, ours[i].probabilities)).toBeLessThanOrEqual(1e-7);
    }
  }
}, 120_000);

test("convnet /predict latency per runtime (printed, not asserted)", async () => {
  const requests = 200;
  const rows: Record<string, string | number>[] = [];
  for (const server of servers) {
    const url = (i: number) =>
      `${server.url}/predict?pixels=${Buffer.from(image(i % SAMPLES)).toString("base64url")}`;
    // Warm-up, so the first JIT tiers are not counted as request latency.
    for (let i = 0; i < 20; i++) await (await fetch(url(i))).arrayBuffer();
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const res = await fetch(url(i));
      await res.arrayBuffer();
      times.push(performance.now() - t0);
      expect(res.status).toBe(200);
    }
    const { p50, p99 } = percentiles(times);
    rows.push({
      runtime: server.runtime,
      "predict p50 ms": Number(p50.toFixed(2)),
      "predict p99 ms": Number(p99.toFixed(2)),
    });
  }
  console.log(`\nconvnet /predict over loopback, ${requests} sequential GETs per runtime:`);
  console.table(rows);
  expect(rows.length).toBe(RUNTIMES.length);
}, 120_000);
