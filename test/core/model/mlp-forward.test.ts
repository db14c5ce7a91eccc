import { beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { loadIdxDataset } from "../../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../../src/core/dataset.ts";
import {
  forward,
  pixelsToInputs,
  predictPixels,
  predictPixelsBatch,
  softmaxInPlace,
} from "../../../src/core/model/forward.ts";
import { fromLayersModel, toModelJson, weightsBytes } from "../../../src/core/model/layers-json.ts";
import { DEFAULT_SPEC, mlpSpec } from "../../../src/core/model/presets.ts";
import { type ModelLayout, modelLayout } from "../../../src/core/model/sequential.ts";
import { buildTfReference, inputsTensor, tfFlatWeights } from "../../support/tf-models.ts";

let data: Dataset;

beforeAll(async () => {
  data = await loadIdxDataset();
  await tf.setBackend("cpu");
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const SAMPLES = 500;

for (const hidden of [[512], [256, 128]]) {
  describe(`784→${hidden.join("→")}→10 against tfjs`, () => {
    test("matches tf.LayersModel.predict within 1e-5 on real MNIST test images", async () => {
      const ref = await buildTfReference(hidden, data.train, 1000);
      // Baseline after building: tfjs's model.fit itself keeps one tensor per call, which is
      // not what this test is about; everything below must give back what it allocates.
      const tensorsBefore = tf.memory().numTensors;
      // tfjs's own saved files are accepted by our validator…
      const loaded = fromLayersModel(ref.modelJson, ref.weights);
      const shapes = (layout: ModelLayout) => layout.weights.map((w) => w.shape);
      expect(shapes(loaded.layout)).toEqual(shapes(modelLayout(mlpSpec(hidden))));
      // …and hold the same numbers as the live model, in our flat layout.
      expect(maxAbsDiff(loaded.params, tfFlatWeights(ref.model))).toBe(0);

      const x = inputsTensor(data.test, SAMPLES);
      const yTensor = ref.model.predict(x) as tf.Tensor;
      const expected = yTensor.dataSync();
      tf.dispose([x, yTensor]);
      const inputs = pixelsToInputs(data.test.images.subarray(0, SAMPLES * 784));
      const ours = forward(loaded, inputs, SAMPLES);
      expect(ours.length).toBe(SAMPLES * 10);
      const diff = maxAbsDiff(ours, expected);
      expect(diff).toBeLessThan(1e-5);

      // Same labels as tfjs, and the briefly fitted model (1 epoch on 1000 samples) is far above chance (0.1).
      let agree = 0;
      let correct = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const p = predictPixels(loaded, data.test.images.subarray(i * 784, (i + 1) * 784));
        const row = Array.from(expected.subarray(i * 10, i * 10 + 10));
        if (p.label === row.indexOf(Math.max(...row))) agree++;
        if (p.label === data.test.labels[i]) correct++;
      }
      expect(agree).toBe(SAMPLES);
      expect(correct / SAMPLES).toBeGreaterThan(0.5);

      // Our own writer (toModelJson + weightsBytes) is readable by tfjs and predicts the same.
      const ourJson = toModelJson(loaded.spec);
      const tfLoaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: ourJson.modelTopology,
          weightSpecs: ourJson.weightsManifest[0].weights,
          weightData: weightsBytes(loaded.params).slice().buffer,
        }),
      );
      const x2 = inputsTensor(data.test, 50);
      const y2 = tfLoaded.predict(x2) as tf.Tensor;
      expect(
        maxAbsDiff(forward(loaded, inputs.subarray(0, 50 * 784), 50), y2.dataSync()),
      ).toBeLessThan(1e-5);
      tf.dispose([x2, y2]);
      tfLoaded.dispose();
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      const modelTensors = ref.model.weights.length;
      ref.model.dispose();
      expect(tf.memory().numTensors).toBe(tensorsBefore - modelTensors);
    }, 120_000);
  });
}

describe("forward pass", () => {
  const layout = modelLayout(mlpSpec([5, 4], 6, 3));
  const params = Float32Array.from({ length: layout.size }, (_, i) => Math.sin(i * 1.7) * 0.8);
  const model = { layout, params };

  /** Straightforward reference: z = x·W + b with the documented row-major kernel. */
  function naive(x: number[]): number[] {
    let a = x;
    for (const l of layout.layers) {
      const [units, inputs] = [l.outputShape[0], l.inputShape[0]];
      const [kernel, bias] = l.weights.map((w) => w.offset);
      const z: number[] = [];
      for (let u = 0; u < units; u++) {
        let s = params[bias + u];
        for (let i = 0; i < inputs; i++) s += a[i] * params[kernel + i * units + u];
        z.push(s);
      }
      if (l !== layout.layers[layout.layers.length - 1]) a = z.map((v) => Math.max(0, v));
      else {
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const sum = e.reduce((p, q) => p + q, 0);
        a = e.map((v) => v / sum);
      }
    }
    return a;
  }

  test("follows the documented flat layout (kernel [inputs×units] row-major, then bias)", () => {
    const x = [0.1, -0.5, 0.9, 0, 0.3, 1];
    expect(maxAbsDiff(forward(model, x), naive(x))).toBeLessThan(1e-6);
  });

  test("batch N gives the same rows as N batch-1 calls", () => {
    const rows = Array.from({ length: 7 }, (_, r) =>
      Array.from({ length: 6 }, (_, i) => Math.cos(r * 6 + i)),
    );
    const batched = forward(model, rows.flat(), 7);
    rows.forEach((row, r) => {
      expect(maxAbsDiff(batched.subarray(r * 3, r * 3 + 3), forward(model, row))).toBe(0);
    });
  });

  test("probabilities sum to 1", () => {
    const p = forward(model, [1, 2, 3, 4, 5, 6]);
    expect(Math.abs(p[0] + p[1] + p[2] - 1)).toBeLessThan(1e-6);
  });

  test("softmax is stable for huge logits", () => {
    const v = Float64Array.of(1000, 0, -1000, 999);
    softmaxInPlace(v, 0, 4);
    expect(Array.from(v).every(Number.isFinite)).toBe(true);
    expect(v[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(v[2]).toBe(0);
  });

  test("wrong input length, batch or parameter count is a clear error", () => {
    expect(() => forward(model, [1, 2, 3])).toThrow("expected 1 × 6 = 6 input values, got 3");
    expect(() => forward(model, new Float32Array(12), 0)).toThrow(
      "batch must be a positive integer",
    );
    expect(() => forward({ layout, params: new Float32Array(3) }, new Float32Array(6))).toThrow(
      `expected ${layout.size} parameters`,
    );
    expect(() => predictPixelsBatch(model, [new Uint8Array(6), new Uint8Array(5)])).toThrow(
      "image 1 has 5 pixels, expected 6",
    );
  });

  test("a prediction is the argmax with its probability", () => {
    const layoutD = modelLayout(DEFAULT_SPEC);
    const p = predictPixels(
      { layout: layoutD, params: new Float32Array(layoutD.size) },
      new Uint8Array(784),
    );
    // All-zero weights: uniform output, label 0 by the first-max rule.
    expect(p.label).toBe(0);
    expect(p.confidence).toBeCloseTo(0.1, 6);
    expect(p.probabilities).toHaveLength(10);
  });
});
