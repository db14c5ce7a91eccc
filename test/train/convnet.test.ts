import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { forward } from "../../src/core/model/forward.ts";
import { initParams } from "../../src/core/model/init.ts";
import { conv2d, dropout, type ModelSpec } from "../../src/core/model/sequential.ts";
import { plansFromGlobalBatches } from "../../src/core/plan.ts";
import { Rng } from "../../src/core/rng.ts";
import { tf, useWasmBackend } from "../../src/tf/backend.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { train } from "../../src/train/train.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "../../src/train/types.ts";
import { maxAbsDiff } from "../support/reference.ts";
import { smallConvnet } from "../support/small-convnet.ts";

const SMALL_CONVNET = smallConvnet(4);

// 640 samples in batches of 64: 10 steps an epoch.
const SAMPLES = 640;
const BATCH = 64;
let dataset: Dataset;
let dir: string;
beforeAll(async () => {
  dataset = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-convnet-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const small = (extra: Partial<TrainOptions> = {}): TrainOptions => ({
  dataset,
  model: SMALL_CONVNET,
  workers: 2,
  epochs: 2,
  trainLimit: SAMPLES,
  testLimit: 500,
  out: false,
  ...extra,
});

/** The same global batches whatever the worker count: one seeded permutation per epoch. */
function sameGlobalBatches(workers: number, model = SMALL_CONVNET): Promise<TrainResult> {
  return trainWithHooks(small({ workers, model }), {
    planEpoch: (partition, epoch) => {
      const order = Rng.fromSeed(78, epoch).shuffle(
        Int32Array.from({ length: SAMPLES }, (_, i) => i),
      );
      const batches = Array.from({ length: SAMPLES / BATCH }, (_, s) =>
        order.subarray(s * BATCH, (s + 1) * BATCH),
      );
      return plansFromGlobalBatches(partition, batches);
    },
  });
}

describe("training a convnet through train()", () => {
  test("the batch defaults to 64 and the result carries the Sequential spec", async () => {
    const r = await train(small({ epochs: 1 }));
    expect(r.batchSize).toBe(BATCH);
    expect(r.spec).toEqual(SMALL_CONVNET);
    expect(r.params.length).toBe(6810);
    expect(r.history[0].testAccuracy).toBeGreaterThan(0.3);
  });

  test("2 workers compute what 1 worker computes on the same global batches", async () => {
    const one = await sameGlobalBatches(1);
    const two = await sameGlobalBatches(2);
    expect(maxAbsDiff(two.params, one.params)).toBeLessThanOrEqual(1e-5);
    expect(two.history[1].testAccuracy).toBe(one.history[1].testAccuracy);
    expect(two.history[1].trainLoss).toBeCloseTo(one.history[1].trainLoss, 5);
    // And the weights did move: 20 RMSprop steps of lr 1e-3.
    expect(maxAbsDiff(one.params, initParams(SMALL_CONVNET, 1))).toBeGreaterThan(5e-3);
  });

  test("a seed fixes the run; another seed gives other weights", async () => {
    const a = await train(small({ seed: 5, epochs: 1 }));
    const b = await train(small({ seed: 5, epochs: 1 }));
    const c = await train(small({ seed: 6, epochs: 1 }));
    expect(maxAbsDiff(a.params, b.params)).toBe(0);
    expect(a.history[0].trainLoss).toBe(b.history[0].trainLoss);
    expect(maxAbsDiff(a.params, c.params)).toBeGreaterThan(1e-3);
  });

  test("checkpoint and resume give the uninterrupted run; tensor counts stay flat", async () => {
    const whole = await train(small({ epochs: 3, checkpointDir: join(dir, "whole") }));
    const resumeDir = join(dir, "resumed");
    await train(small({ epochs: 1, checkpointDir: resumeDir }));
    const resumed = await train(small({ epochs: 3, checkpointDir: resumeDir, resume: true }));
    expect(maxAbsDiff(resumed.params, whole.params)).toBe(0);
    expect(resumed.history.map((h) => h.testAccuracy)).toEqual(
      whole.history.map((h) => h.testAccuracy),
    );
    const checkpoint = JSON.parse(await readFile(join(resumeDir, "checkpoint.json"), "utf8"));
    expect(checkpoint.spec.inputShape).toEqual([28, 28, 1]);
    expect(checkpoint.epoch).toBe(3);
    const live = whole.history.map((h) => h.liveTensors);
    expect(live).toEqual([live[0], live[0], live[0]]);
  });

  test("a worker that dies mid-epoch is replaced and the step redone: same weights", async () => {
    const undisturbed = await train(small());
    const recovered: TrainEvent[] = [];
    const result = await trainWithHooks(
      {
        ...small(),
        stepTimeoutMs: 5000,
        onProgress: (e) => e.type === "recovered" && recovered.push(e),
      },
      { faults: [{ worker: 1, atStep: 13, kind: "exit" }] },
    );
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ epoch: 1, step: 3, workers: [1] });
    expect(maxAbsDiff(result.params, undisturbed.params)).toBe(0);
  });

  test("Dropout: masks per sample, so 2 workers ≡ 1, resume is exact, and they change the weights", async () => {
    const withDropout: ModelSpec = {
      ...SMALL_CONVNET,
      layers: [...SMALL_CONVNET.layers.slice(0, 3), dropout(0.5), SMALL_CONVNET.layers[3]],
    };
    const one = await sameGlobalBatches(1, withDropout);
    const two = await sameGlobalBatches(2, withDropout);
    expect(maxAbsDiff(two.params, one.params)).toBeLessThanOrEqual(1e-5);
    const options = small({ model: withDropout, epochs: 2 });
    const whole = await train(options);
    const checkpointDir = join(dir, "dropout");
    await train({ ...options, epochs: 1, checkpointDir });
    const resumed = await train({ ...options, checkpointDir, resume: true });
    expect(maxAbsDiff(resumed.params, whole.params)).toBe(0);
    const plain = await train(small({ epochs: 2 }));
    expect(maxAbsDiff(plain.params, whole.params)).toBeGreaterThan(1e-3);
  });

  test("a checkpoint of another model is refused naming both", async () => {
    const other: ModelSpec = {
      ...SMALL_CONVNET,
      layers: [conv2d(6, 3, { activation: "relu" }), ...SMALL_CONVNET.layers.slice(1)],
    };
    const checkpointDir = join(dir, "other");
    await train(small({ epochs: 1, checkpointDir }));
    await expect(
      train(small({ model: other, epochs: 2, checkpointDir, resume: true })),
    ).rejects.toThrow(/Conv2D\(4, 3×3, relu\).*this run trains.*Conv2D\(6, 3×3, relu\)/);
  });
});

describe("a saved convnet", () => {
  let result: TrainResult;
  const out = () => join(dir, "saved");
  beforeAll(async () => {
    result = await train(small({ epochs: 1, out: out(), checkpointDir: false }));
  });

  test("loads back with its spec and weights", async () => {
    const loaded = await loadModelDir(out());
    expect(loaded.params).toEqual(result.params);
    expect(loaded.summary?.testAccuracy).toBe(result.history[0].testAccuracy);
  });

  test("tf.loadLayersModel loads it and predicts what shardfit's forward pass does", async () => {
    await useWasmBackend();
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => new Response(Bun.file(join(out(), new URL(req.url).pathname.slice(1)))),
    });
    try {
      const model = await tf.loadLayersModel(`http://127.0.0.1:${server.port}/model.json`);
      expect(model.layers.map((l) => l.getClassName())).toEqual([
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
      ]);
      const n = 200;
      const x = Float32Array.from(dataset.test.images.subarray(0, n * 784), (v) => v / 255);
      const predicted = tf.tidy(() =>
        (model.predict(tf.tensor4d(x, [n, 28, 28, 1])) as tf.Tensor).dataSync(),
      );
      const loaded = await loadModelDir(out());
      const ours = forward(loaded, x, n);
      expect(maxAbsDiff(predicted, ours)).toBeLessThanOrEqual(1e-5);
      model.dispose();
    } finally {
      await server.stop(true);
    }
  });
});
