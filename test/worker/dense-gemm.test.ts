import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { paramLayout } from "../../src/core/model/dense-stack.ts";
import { initParams } from "../../src/core/model/init.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { tf, useWasmBackend } from "../../src/tf/backend.ts";
import { denseLossAndGrads, tensorsFromFlat } from "../../src/tf/dense.ts";
import { copyInto } from "../../src/tf/transfer.ts";
import { createBatch, fillBatch } from "../../src/worker/batch.ts";
import { DenseGemmStep } from "../../src/worker/dense-gemm.ts";
import { tfjsGradientsInto } from "../../src/worker/gradients.ts";
import { maxAbsDiff } from "../support/reference.ts";

let data: Dataset;
beforeAll(async () => {
  data = await loadIdxDataset();
  await useWasmBackend();
});

const PX = 784;

/** tfjs's hand-derived Dense backward over every column: the independent reference. */
function tfjsReference(
  spec: Parameters<typeof paramLayout>[0],
  params: Float32Array,
  rows: number[],
  capacity: number,
  globalCount: number,
) {
  const layout = paramLayout(spec);
  const x = new Float32Array(capacity * PX);
  const y = new Float32Array(capacity * 10);
  const w = new Float32Array(capacity);
  rows.forEach((s, i) => {
    for (let j = 0; j < PX; j++) x[i * PX + j] = data.train.images[s * PX + j] / 255;
    y[i * 10 + data.train.labels[s]] = 1;
    w[i] = 1 / globalCount;
  });
  const tensors = tensorsFromFlat(layout, params);
  const inputs = [
    tf.tensor2d(x, [capacity, PX]),
    tf.tensor2d(y, [capacity, 10]),
    tf.tensor1d(w),
  ] as const;
  const mask = tf.tensor1d(w.map((v) => (v ? 1 : 0)));
  const r = denseLossAndGrads(tensors, ...inputs, mask);
  const grads = new Float32Array(layout.size);
  layout.layers.forEach((l, i) => {
    copyInto(r.grads[2 * i], grads, l.kernelOffset);
    copyInto(r.grads[2 * i + 1], grads, l.biasOffset);
  });
  const loss = r.loss.dataSync()[0];
  const correct = r.correct.dataSync()[0];
  tf.dispose([
    ...tensors.kernels,
    ...tensors.biases,
    ...inputs,
    mask,
    r.loss,
    r.correct,
    ...r.grads,
  ]);
  return { grads, loss, correct };
}

describe("DenseGemmStep", () => {
  test.each([
    ["the MLP, a full batch", [512], 64, 64],
    ["three layers, 14 rows of padding", [48, 24], 64, 50],
    ["one hidden layer of 9 units, capacity 7 (tiles of 6 and 1)", [9], 7, 7],
  ] as const)("%s: tfjs's loss, hits and gradients (1e-6)", (_, hidden, capacity, n) => {
    const spec = mlpSpec([...hidden], PX, 10);
    const layout = paramLayout(spec);
    const params = initParams(spec, 5);
    // Biases away from zero, so every term of the backward pass counts; the last layer's
    // favours class 0, the label padding rows would "hit" if they were not masked out.
    for (const l of layout.layers) {
      for (let u = 0; u < l.units; u++) params[l.biasOffset + u] = 0.01 * ((u % 7) - 3);
    }
    params[layout.layers[layout.layers.length - 1].biasOffset] = 5;
    const rows = Array.from({ length: n }, (_, i) => 2000 + 17 * i);
    const batch = createBatch(capacity, PX, 10);
    fillBatch(batch, data.train, Int32Array.from(rows), 0, n, 128);
    const got = new Float32Array(layout.size).fill(Number.NaN);
    const step = new DenseGemmStep(layout, capacity);
    const result = step.gradientsInto(params, batch, got);
    const want = tfjsReference(spec, params, rows, capacity, 128);
    expect(result.loss).toBeCloseTo(want.loss, 6);
    expect(result.correct).toBe(want.correct);
    expect(maxAbsDiff(got, want.grads)).toBeLessThan(1e-6);
    // A second step on the same object (buffers reused) gives the same answer.
    const again = new Float32Array(layout.size);
    step.gradientsInto(params, batch, again);
    expect(maxAbsDiff(again, got)).toBe(0);
  });

  test("the tfjs step (where relaxed SIMD is missing) computes the same gradients (1e-6)", () => {
    const spec = mlpSpec([64], PX, 10);
    const layout = paramLayout(spec);
    const params = initParams(spec, 9);
    const rows = Int32Array.from({ length: 40 }, (_, i) => 500 + 31 * i);
    const batch = createBatch(48, PX, 10);
    fillBatch(batch, data.train, rows, 0, 40, 96);
    const [viaGemm, viaTfjs] = [new Float32Array(layout.size), new Float32Array(layout.size)];
    const a = new DenseGemmStep(layout, 48).gradientsInto(params, batch, viaGemm);
    const b = tfjsGradientsInto(layout, params, batch, viaTfjs);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    expect(a.correct).toBe(b.correct);
    expect(maxAbsDiff(viaGemm, viaTfjs)).toBeLessThan(1e-6);
  });

  test("a batch of another capacity is a clear error", () => {
    const layout = paramLayout(mlpSpec([8], PX, 10));
    const step = new DenseGemmStep(layout, 16);
    expect(() =>
      step.gradientsInto(
        new Float32Array(layout.size),
        createBatch(8, PX, 10),
        new Float32Array(layout.size),
      ),
    ).toThrow("DenseGemmStep: batch of 8, built for 16");
  });
});
