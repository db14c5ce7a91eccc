import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import {
  type Dataset,
  type ImageSet,
  samplesFromImages,
  sliceSet,
} from "../../src/core/data/dataset.ts";
import { Rng } from "../../src/core/data/rng.ts";
import { encodeShard } from "../../src/core/data/shard.ts";
import { initParams } from "../../src/core/model/init.ts";
import {
  conv2d,
  dense,
  flatten,
  type ModelSpec,
  maxPooling2d,
  modelLayout,
} from "../../src/core/model/sequential.ts";
import { TrainerWorker } from "../../src/worker/trainer.ts";
import { maxErrorRelativeToPeak } from "../support/reference.ts";
import {
  finiteDifferencesOf,
  referenceOutput,
  referenceSequentialLoss,
} from "../support/sequential-reference.ts";

/** Small enough for float64 finite differences over every weight (750 parameters). */
const SPEC: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    conv2d(2, 3, { strides: 2, activation: "relu" }),
    maxPooling2d(2),
    flatten(),
    dense(10, { activation: "softmax" }),
  ],
};
const layout = modelLayout(SPEC);

/**
 * Finite differences need a differentiable point: noise images (no blank regions whose equal
 * values tie in the max pooling) and nonzero biases (no ReLU input exactly at its kink).
 */
function noiseImages(count: number, seed: number): ImageSet {
  const rng = Rng.fromSeed(seed);
  const images = Uint8Array.from({ length: count * 784 }, () => 1 + rng.int(255));
  const labels = Uint8Array.from({ length: count }, () => rng.int(10));
  return { count, rows: 28, cols: 28, images, labels };
}

function paramsAt(seed: number): Float32Array {
  const params = initParams(SPEC, seed);
  const rng = Rng.fromSeed(seed, 2);
  for (const w of layout.weights) {
    if (!w.name.endsWith("/bias")) continue;
    for (let i = w.offset; i < w.offset + w.size; i++) params[i] = 0.2 * rng.next() - 0.1;
  }
  return params;
}

let data: Dataset;
let train: ImageSet;
const trainer = new TrainerWorker();
beforeAll(async () => {
  data = await loadIdxDataset();
  train = noiseImages(64, 8);
  await trainer.loadModel(SPEC);
  await trainer.loadShard({
    bytes: encodeShard({
      train: samplesFromImages(train),
      test: samplesFromImages(sliceSet(data.test, 0, 300)),
    }),
  });
});

const pixels = (set: ImageSet, i: number) =>
  Array.from(set.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255);

describe("a worker training a Sequential (conv) model", () => {
  test("loadModel returns its parameter count", async () => {
    expect(await new TrainerWorker().loadModel(SPEC)).toBe(750);
  });

  test("gradients of the mean loss match float64 finite differences of a plain reference", () => {
    const params = paramsAt(3);
    const indices = [0, 5, 9, 31];
    const g = trainer.gradients(params, indices);
    const x = indices.map((i) => pixels(train, i));
    const labels = indices.map((i) => train.labels[i]);
    const w = indices.map(() => 1 / indices.length);
    const loss = (p: ArrayLike<number>) => referenceSequentialLoss(layout, p, x, labels, w);
    expect(g.lossSum / indices.length).toBeCloseTo(loss(params), 5);
    const expected = finiteDifferencesOf(loss, params);
    expect(maxErrorRelativeToPeak(g.grads, expected)).toBeLessThan(1e-3);
  });

  test("evaluate counts what the plain reference predicts on the test shard", () => {
    const params = initParams(SPEC, 4);
    const result = trainer.evaluate(params);
    let correct = 0;
    let lossSum = 0;
    for (let i = 0; i < 300; i++) {
      const p = referenceOutput(layout, params, pixels(data.test, i), [], true);
      const label = data.test.labels[i];
      if (p.indexOf(Math.max(...p)) === label) correct++;
      lossSum -= Math.log(p[label]);
    }
    expect(result.count).toBe(300);
    expect(result.correct).toBe(correct);
    expect(result.lossSum).toBeCloseTo(lossSum, 2);
    expect(result.predictions).toBeUndefined();
  });

  test("with predictions: each sample's class and probability, as the reference has them", () => {
    const params = initParams(SPEC, 6);
    const { predictions } = trainer.evaluate(params, { predictions: true });
    if (!predictions) throw new Error("no predictions");
    expect(predictions.predicted).toHaveLength(300);
    for (let i = 0; i < 300; i++) {
      const p = referenceOutput(layout, params, pixels(data.test, i), [], true);
      const best = Math.max(...p);
      expect(predictions.predicted[i]).toBe(p.indexOf(best));
      expect(predictions.confidence[i]).toBeCloseTo(best, 5);
    }
  });

  test("computes on the wasm gemm, without a tfjs tensor", () => {
    const params = initParams(SPEC, 5);
    trainer.gradients(params, [4, 5, 6, 7]);
    trainer.evaluate(params, { predictions: true });
    expect(trainer.tensorCount()).toBe(0);
  });

  test("does not even load tfjs where the gemm runs (tfjs registers its engine globally)", () => {
    // A fresh process: the test runner's realm has tfjs from other tests.
    const script = `
      import { TrainerWorker } from "./src/worker/trainer.ts";
      await new TrainerWorker().loadModel(${JSON.stringify(SPEC)});
      const before = "_tfengine" in globalThis;
      await import("./src/worker/tfjs-step.ts");
      console.log(JSON.stringify([before, "_tfengine" in globalThis]));`;
    const run = Bun.spawnSync([process.execPath, "-e", script], { stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    // Loading the fallback step loads tfjs: the check sees it.
    expect(JSON.parse(run.stdout.toString())).toEqual([false, true]);
  });
});
