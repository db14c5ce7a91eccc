import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { type Dataset, samplesFromImages, sliceSet } from "../../src/core/data/dataset.ts";
import { initParams } from "../../src/core/model/init.ts";
import { CONVNET_SPEC, mlpSpec } from "../../src/core/model/presets.ts";
import { type ModelLayout, modelLayout } from "../../src/core/model/sequential.ts";
import { type Batch, createBatch, fillBatch } from "../../src/worker/batch.ts";
import { workerModel } from "../../src/worker/model.ts";
import { activeColumnsLayer, SequentialGemmStep } from "../../src/worker/sequential-gemm.ts";
import type { InputForm } from "../../src/worker/sparse-input.ts";
import { tfjsEngine } from "../../src/worker/tfjs-step.ts";
import { paramLayout } from "../support/dense-stack.ts";
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

/** Initial weights with biases away from zero, so every term of the backward pass counts. */
function paramsOf(layout: ModelLayout, seed: number): Float32Array {
  const params = initParams(layout.spec, seed);
  for (const l of layout.layers) {
    const bias = l.weights[1];
    for (let u = 0; u < bias.size; u++) params[bias.offset + u] = 0.01 * ((u % 7) - 3);
  }
  // The last layer favours class 0, which padding rows would "hit" were they not masked out.
  params[layout.layers[layout.layers.length - 1].weights[1].offset] = 5;
  return params;
}

function batchOf(
  rows: number[],
  capacity: number,
  allColumns: boolean,
  form: InputForm = "auto",
): Batch {
  const batch = createBatch(capacity, PX, 10, allColumns, form);
  fillBatch(
    batch,
    samplesFromImages(data.train),
    Int32Array.from(rows),
    0,
    rows.length,
    rows.length,
  );
  return batch;
}

describe("the MLP on the gemm step", () => {
  test.each(
    (["dense", "sparse"] as const).flatMap((form) =>
      (
        [
          ["the MLP, a full batch", [512], 64, 64],
          ["three layers, 14 rows of padding", [48, 24], 64, 50],
          ["one hidden layer of 9 units, capacity 7 (tiles of 6 and 1)", [9], 7, 7],
        ] as const
      ).map(([name, ...rest]) => [`${name}, ${form} first layer`, ...rest, form] as const),
    ),
  )(
    "%s: the float64 reference's loss, hits and gradients (1e-6)",
    (_, hidden, capacity, n, form) => {
      const layout = modelLayout(mlpSpec(hidden));
      expect(activeColumnsLayer(layout)).toBe(0);
      const params = paramsOf(layout, 5);
      const rows = Array.from({ length: n }, (_, i) => 2000 + 17 * i);
      const batch = batchOf(rows, capacity, false, form);
      expect(batch.width).toBeLessThan(PX);
      expect(batch.sparse).toBe(form === "sparse");
      const step = new SequentialGemmStep(layout, capacity);
      const got = new Float32Array(layout.size).fill(Number.NaN);
      const result = step.gradientsInto(params, batch, got);

      const x = rows.map((s) =>
        Array.from(data.train.images.subarray(s * PX, (s + 1) * PX), (v) => v / 255),
      );
      const labels = rows.map((s) => data.train.labels[s]);
      const want = referenceGradient(paramLayout(layout.spec), params, x, labels);
      expect(result.loss).toBeCloseTo(want.loss, 6);
      expect(maxAbsDiff(got, want.grad)).toBeLessThan(1e-6);
      expect(Math.max(...want.grad.map(Math.abs))).toBeGreaterThan(1e-3);
      const hits = x.filter((_, i) => {
        const logits = step.outputs(params, batch).subarray(i * 10, (i + 1) * 10);
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

  test("the sparse first layer gives the dense one's loss, hits and gradients (1e-6)", () => {
    const layout = modelLayout(mlpSpec([64, 32]));
    const params = paramsOf(layout, 3);
    const rows = Array.from({ length: 45 }, (_, i) => 900 + 13 * i);
    const step = new SequentialGemmStep(layout, 48);
    const [sparse, dense] = [new Float32Array(layout.size), new Float32Array(layout.size)];
    const a = step.gradientsInto(params, batchOf(rows, 48, false, "sparse"), sparse);
    const b = step.gradientsInto(params, batchOf(rows, 48, false, "dense"), dense);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    expect(a.correct).toBe(b.correct);
    expect(maxAbsDiff(sparse, dense)).toBeLessThan(1e-6);
    expect(Math.max(...dense.map(Math.abs))).toBeGreaterThan(1e-3);
    // An MNIST batch of 48 is ~19% ink over ~60% of the columns: "auto" takes the sparse form.
    expect(batchOf(rows, 48, false).sparse).toBe(true);
  });

  test("a batch of every column gives the active columns' gradients", () => {
    const layout = modelLayout(mlpSpec([64]));
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
    const layout = modelLayout(spec);
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

    const set = samplesFromImages(sliceSet(data.test, 0, 150));
    const [e, f] = [gemm, tfjs].map((m) => m.evaluate(params, set, { predictions: true }));
    expect(e.correct).toBe(f.correct);
    expect(e.lossSum).toBeCloseTo(f.lossSum, 3);
    expect(e.predictions?.predicted).toEqual(f.predictions!.predicted);
    expect(maxAbsDiff(e.predictions!.confidence, f.predictions!.confidence)).toBeLessThan(1e-5);
    expect(tfjs.liveTensors()).toBe(tensorsBefore);
  });

  test("a conv model takes whole images: its step refuses a batch of active columns", () => {
    const layout = modelLayout(CONVNET_SPEC);
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

test("mlpSpec's flat layout is 0.1's Dense stack: per layer its kernel [in × units], then its bias", () => {
  for (const hidden of [[512], [48, 24], []]) {
    const widths = [PX, ...hidden, 10];
    let offset = 0;
    const expected = widths.slice(1).flatMap((units, l) => {
      const kernel = [offset, [widths[l], units]];
      offset += widths[l] * units;
      const bias = [offset, [units]];
      offset += units;
      return [kernel, bias];
    });
    const layout = modelLayout(mlpSpec(hidden));
    expect(layout.weights.map((w) => [w.offset, w.shape])).toEqual(expected);
    expect(layout.size).toBe(offset);
  }
});
