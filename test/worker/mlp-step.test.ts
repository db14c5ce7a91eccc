import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { initSequentialParams } from "../../src/core/model/init.ts";
import { CONVNET_SPEC, mlpSpec } from "../../src/core/model/presets.ts";
import { type SequentialLayout, sequentialLayout } from "../../src/core/model/sequential.ts";
import { type ParamLayout, paramLayout } from "../../src/core/spec.ts";
import { type Batch, createBatch, fillBatch } from "../../src/worker/batch.ts";
import { workerModel } from "../../src/worker/model.ts";
import { activeColumnsLayer, SequentialGemmStep } from "../../src/worker/sequential-gemm.ts";
import { tfjsEngine } from "../../src/worker/tfjs-step.ts";
import { maxAbsDiff, referenceGradient } from "../support/reference.ts";

/**
 * The MLP (`mlpSpec`) through the one gemm step, its first Dense over the batch's active
 * columns: against a float64 backprop reference, the same step over every column, and the
 * tfjs fallback.
 */

let data: Dataset;
beforeAll(async () => {
  data = await loadIdxDataset();
});

const PX = 784;

/** The Dense stack as the float64 reference reads it (kernel and bias offsets per layer). */
function referenceLayout(layout: SequentialLayout): ParamLayout {
  const last = layout.layers.length - 1;
  return {
    size: layout.size,
    layers: layout.layers.map((l, i) => ({
      inputs: l.inputShape[0],
      units: l.outputShape[0],
      activation: i === last ? "softmax" : "relu",
      kernelOffset: l.weights[0].offset,
      biasOffset: l.weights[1].offset,
    })),
  };
}

/** Initial weights with biases away from zero, so every term of the backward pass counts. */
function paramsOf(layout: SequentialLayout, seed: number): Float32Array {
  const params = initSequentialParams(layout, seed);
  for (const l of layout.layers) {
    const bias = l.weights[1];
    for (let u = 0; u < bias.size; u++) params[bias.offset + u] = 0.01 * ((u % 7) - 3);
  }
  // The last layer favours class 0, which padding rows would "hit" were they not masked out.
  params[layout.layers[layout.layers.length - 1].weights[1].offset] = 5;
  return params;
}

function batchOf(rows: number[], capacity: number, allColumns: boolean): Batch {
  const batch = createBatch(capacity, PX, 10, allColumns);
  fillBatch(batch, data.train, Int32Array.from(rows), 0, rows.length, rows.length);
  return batch;
}

describe("the MLP on the gemm step", () => {
  test.each([
    ["the MLP, a full batch", [512], 64, 64],
    ["three layers, 14 rows of padding", [48, 24], 64, 50],
    ["one hidden layer of 9 units, capacity 7 (tiles of 6 and 1)", [9], 7, 7],
  ] as const)(
    "%s: the float64 reference's loss, hits and gradients (1e-6)",
    (_, hidden, capacity, n) => {
      const layout = sequentialLayout(mlpSpec(hidden));
      expect(activeColumnsLayer(layout)).toBe(0);
      const params = paramsOf(layout, 5);
      const rows = Array.from({ length: n }, (_, i) => 2000 + 17 * i);
      const batch = batchOf(rows, capacity, false);
      expect(batch.width).toBeLessThan(PX);
      const step = new SequentialGemmStep(layout, capacity);
      const got = new Float32Array(layout.size).fill(Number.NaN);
      const result = step.gradientsInto(params, batch, got);

      const x = rows.map((s) =>
        Array.from(data.train.images.subarray(s * PX, (s + 1) * PX), (v) => v / 255),
      );
      const labels = rows.map((s) => data.train.labels[s]);
      const want = referenceGradient(referenceLayout(layout), params, x, labels);
      expect(result.loss).toBeCloseTo(want.loss, 6);
      expect(maxAbsDiff(got, want.grad)).toBeLessThan(1e-6);
      expect(Math.max(...want.grad.map(Math.abs))).toBeGreaterThan(1e-3);
      const hits = x.filter((_, i) => {
        const logits = step.logits(params, batch).subarray(i * 10, (i + 1) * 10);
        return logits.indexOf(Math.max(...logits)) === labels[i];
      }).length;
      expect(result.correct).toBe(hits);

      // Kernel rows of pixels blank in every sample are exactly zero.
      const blank = Array.from({ length: PX }, (_, j) => j).filter((j) =>
        rows.every((s) => data.train.images[s * PX + j] === 0),
      );
      expect(blank.length).toBeGreaterThan(50);
      const units = hidden[0];
      for (const j of blank) {
        expect(got.subarray(j * units, (j + 1) * units).every((v) => v === 0)).toBe(true);
      }

      // A second step on the same object (buffers reused) gives the same answer.
      const again = new Float32Array(layout.size);
      step.gradientsInto(params, batch, again);
      expect(maxAbsDiff(again, got)).toBe(0);
    },
  );

  test("a batch of every column gives the active columns' gradients", () => {
    const layout = sequentialLayout(mlpSpec([64]));
    const params = paramsOf(layout, 9);
    const rows = Array.from({ length: 40 }, (_, i) => 500 + 31 * i);
    const step = new SequentialGemmStep(layout, 48);
    const [active, every] = [new Float32Array(layout.size), new Float32Array(layout.size)];
    const a = step.gradientsInto(params, batchOf(rows, 48, false), active);
    const b = step.gradientsInto(params, batchOf(rows, 48, true), every);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    expect(a.correct).toBe(b.correct);
    expect(maxAbsDiff(active, every)).toBeLessThan(1e-6);
  });

  test("the tfjs step (where relaxed SIMD is missing): the same gradients and evaluation", async () => {
    const spec = mlpSpec([64]);
    const layout = sequentialLayout(spec);
    const params = paramsOf(layout, 9);
    const rows = Array.from({ length: 40 }, (_, i) => 500 + 31 * i);
    const [gemm, tfjs] = [workerModel(spec), workerModel(spec, await tfjsEngine())];
    const tensorsBefore = tfjs.liveTensors();
    expect([gemm.allColumns, tfjs.allColumns]).toEqual([false, true]);
    const [viaGemm, viaTfjs] = [new Float32Array(layout.size), new Float32Array(layout.size)];
    const a = gemm.gradientsInto(params, batchOf(rows, 48, false), viaGemm, { step: 0 });
    const b = tfjs.gradientsInto(params, batchOf(rows, 48, true), viaTfjs, { step: 0 });
    expect(a.loss).toBeCloseTo(b.loss, 6);
    expect(a.correct).toBe(b.correct);
    expect(maxAbsDiff(viaGemm, viaTfjs)).toBeLessThan(1e-6);

    const set = { ...data.test, count: 150 };
    const [e, f] = [gemm, tfjs].map((m) => m.evaluate(params, set, { predictions: true }));
    expect(e.correct).toBe(f.correct);
    expect(e.lossSum).toBeCloseTo(f.lossSum, 3);
    expect(e.predictions?.predicted).toEqual(f.predictions!.predicted);
    expect(maxAbsDiff(e.predictions!.confidence, f.predictions!.confidence)).toBeLessThan(1e-5);
    expect(tfjs.liveTensors()).toBe(tensorsBefore);
  });

  test("a conv model takes whole images: its step refuses a batch of active columns", () => {
    const layout = sequentialLayout(CONVNET_SPEC);
    expect(activeColumnsLayer(layout)).toBe(-1);
    expect(workerModel(CONVNET_SPEC).allColumns).toBe(true);
    const step = new SequentialGemmStep(layout, 4);
    const grads = new Float32Array(layout.size);
    const params = new Float32Array(layout.size);
    expect(() => step.gradientsInto(params, batchOf([1, 2, 3, 4], 4, false), grads)).toThrow(
      "SequentialGemmStep: this model needs batches of every input column",
    );
  });
});

describe("a Dense stack of spec.ts (until the core trains only Sequentials)", () => {
  test("mlpSpec lays its parameters out as spec.ts does: kernel [in×units] row-major, then bias", () => {
    for (const hidden of [[512], [48, 24], []]) {
      const old = paramLayout({ inputSize: PX, hidden, classes: 10 });
      const layout = sequentialLayout(mlpSpec(hidden, PX, 10));
      expect(layout.size).toBe(old.size);
      expect(layout.weights.map((w) => [w.offset, w.shape])).toEqual(
        old.layers.flatMap((l) => [
          [l.kernelOffset, [l.inputs, l.units]],
          [l.biasOffset, [l.units]],
        ]),
      );
    }
  });

  test("trains as the Sequential MLP it is: the same gradients and evaluation", () => {
    const dense = workerModel({ inputSize: PX, hidden: [32], classes: 10 });
    const sequential = workerModel(mlpSpec([32]));
    expect(dense.size).toBe(sequential.size);
    expect(dense.allColumns).toBe(false);
    const params = paramsOf(sequentialLayout(mlpSpec([32])), 2);
    const batch = batchOf([3, 1, 4, 1, 5, 9, 2, 6], 8, false);
    const [a, b] = [new Float32Array(dense.size), new Float32Array(dense.size)];
    dense.gradientsInto(params, batch, a, { step: 0 });
    sequential.gradientsInto(params, batch, b, { step: 0 });
    expect(maxAbsDiff(a, b)).toBe(0);
    const set = { ...data.test, count: 70 };
    expect(dense.evaluate(params, set)).toEqual(sequential.evaluate(params, set));
  });
});
