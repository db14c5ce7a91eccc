// The full tfjs registers the cpu backend the references run on (src/tf needs only tfjs-core).
import "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { type Dataset, samplesFromImages } from "../../src/core/data/dataset.ts";
import { Rng } from "../../src/core/data/rng.ts";
import { initParams } from "../../src/core/model/init.ts";
import { CONVNET_SPEC } from "../../src/core/model/presets.ts";
import {
  conv2d,
  dense,
  flatten,
  type ModelSpec,
  maxPooling2d,
  modelLayout,
  shapeSize,
} from "../../src/core/model/sequential.ts";
import { tf, useWasmBackend } from "../../src/tf/backend.ts";
import { type Batch, createBatch, fillBatch } from "../../src/worker/batch.ts";
import { SequentialGemmStep } from "../../src/worker/sequential-gemm.ts";
import { TfjsStep } from "../../src/worker/tfjs-step.ts";
import { maxErrorRelativeToPeak } from "../support/reference.ts";
import {
  BATCH,
  type Case,
  MODELS,
  makeCase,
  referenceCases,
} from "../support/sequential-models.ts";

type Model = Omit<Case, "autodiff" | "fd" | "loss">;

/** The case's samples as a worker's batch: inputs, one-hot labels, loss weights, real rows. */
function batchOf(c: Model): Batch {
  const classes = c.layout.outputShape[0];
  const batch = createBatch(BATCH, shapeSize(c.layout.inputShape), classes, true);
  batch.x.set(c.x.flat());
  c.labels.forEach((label, i) => {
    batch.y[i * classes + label] = 1;
  });
  batch.weights.set(c.weights);
  batch.mask.set(c.weights.map((w) => (w > 0 ? 1 : 0)));
  return batch;
}

describe("SequentialGemmStep", () => {
  let references: Map<string, Case>;
  beforeAll(async () => {
    references = await referenceCases();
  });

  for (const name of Object.keys(MODELS)) {
    test(`${name}: matches tfjs autodiff and float64 finite differences, twice over`, () => {
      const c = references.get(name)!;
      const step = new SequentialGemmStep(c.layout, BATCH);
      // A second step reuses every buffer: nothing may depend on them starting at zero.
      for (let round = 0; round < 2; round++) {
        const grads = new Float32Array(c.layout.size).fill(Number.NaN);
        const r = step.gradientsInto(c.params, batchOf(c), grads, undefined, c.masks);
        expect(maxErrorRelativeToPeak(grads, c.autodiff)).toBeLessThanOrEqual(1e-5);
        expect(maxErrorRelativeToPeak(grads, c.fd)).toBeLessThanOrEqual(1e-4);
        expect(r.loss).toBeCloseTo(c.loss, 5);
        for (const w of c.layout.weights) {
          const part = grads.subarray(w.offset, w.offset + w.size);
          expect(Math.max(...part.map(Math.abs))).toBeGreaterThan(1e-4);
        }
      }
    });
  }

  test("counts the real rows it predicts right, as the tfjs step does", async () => {
    await tf.setBackend("cpu");
    const c = makeCase(MODELS["conv valid relu → maxpool → dense"], 5);
    const batch = batchOf(c);
    const grads = new Float32Array(c.layout.size);
    const expected = new TfjsStep(c.layout, BATCH).gradientsInto(c.params, batch, grads);
    const got = new SequentialGemmStep(c.layout, BATCH).gradientsInto(c.params, batch, grads);
    expect(got.correct).toBe(expected.correct);
    expect(got.loss).toBeCloseTo(expected.loss, 6);
  });

  test("a batch of another capacity, or a cross-entropy on outputs that are not probabilities, is refused", () => {
    const c = makeCase(MODELS["mlp 6→5→4→3"], 3);
    const step = new SequentialGemmStep(c.layout, BATCH + 1);
    expect(() => step.gradientsInto(c.params, batchOf(c), new Float32Array(c.layout.size))).toThrow(
      `SequentialGemmStep: batch of ${BATCH}, built for ${BATCH + 1}`,
    );
    const linear = modelLayout({ inputShape: [4], layers: [dense(3)] });
    expect(() => new SequentialGemmStep(linear, 2, "categorical_crossentropy")).toThrow(
      "loss categorical_crossentropy needs probabilities: the last layer's activation must be softmax or sigmoid, got linear",
    );
  });
});

describe("SequentialGemmStep on MNIST", () => {
  let data: Dataset;
  beforeAll(async () => {
    data = await loadIdxDataset();
    await useWasmBackend();
  });

  /** A conv without bias, 'same', stride 2, a 3×3 stride-1 pooling (TS loops), odd 2×2 pooling. */
  const OTHER_PATHS: ModelSpec = {
    inputShape: [28, 28, 1],
    layers: [
      conv2d(6, 3, { padding: "same", useBias: false, activation: "relu" }),
      maxPooling2d(3, { strides: 1 }),
      conv2d(5, 3, { strides: 2, padding: "same", activation: "relu" }), // 13×13: pooled with a rest
      maxPooling2d(2),
      flatten(),
      dense(10, { activation: "softmax" }),
    ],
  };

  test.each([
    ["the convnet", CONVNET_SPEC],
    ["a model on the other paths", OTHER_PATHS],
  ] as const)(
    "%s: the tfjs-wasm step's loss, hits and gradients on real batches with padding rows",
    (_, spec) => {
      const layout = modelLayout(spec);
      const params = initParams(layout.spec, 7);
      const capacity = 12;
      const batch = createBatch(capacity, 784, 10, true);
      const order = Int32Array.from({ length: 600 }, (_, i) => Rng.fromSeed(i).int(60_000));
      const step = new SequentialGemmStep(layout, capacity);
      for (const [start, n] of [
        [0, 12],
        [12, 9],
      ]) {
        fillBatch(batch, samplesFromImages(data.train), order, start, n, 64);
        const expected = new Float32Array(layout.size);
        const want = new TfjsStep(layout, capacity).gradientsInto(params, batch, expected);
        const grads = new Float32Array(layout.size);
        const got = step.gradientsInto(params, batch, grads);
        expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(1e-3);
        expect(maxErrorRelativeToPeak(grads, expected)).toBeLessThanOrEqual(1e-5);
        expect(got.correct).toBe(want.correct);
        expect(got.loss).toBeCloseTo(want.loss, 5);
      }
    },
  );
});
