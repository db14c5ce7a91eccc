import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { type SampleSet, samplesFromImages, sliceSet } from "../../src/core/data/dataset.ts";
import { type SparseSamples, toSparseSamples } from "../../src/core/data/sparse.ts";
import { initParams } from "../../src/core/model/init.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { modelLayout } from "../../src/core/model/sequential.ts";
import { createBatch, fillBatch } from "../../src/worker/batch.ts";
import { workerModel } from "../../src/worker/model.ts";
import { SequentialGemmStep } from "../../src/worker/sequential-gemm.ts";
import type { InputForm } from "../../src/worker/sparse-input.ts";
import { maxAbsDiff } from "../support/reference.ts";

/**
 * Batches filled from CSR rows (core/data/sparse.ts) are the batches filled from the same
 * samples' bytes, in either form; and the forms give the same gradients.
 */

let dense: SampleSet;
let sparse: SparseSamples;
beforeAll(async () => {
  const data = await loadIdxDataset();
  dense = samplesFromImages(sliceSet(data.train, 0, 600));
  sparse = toSparseSamples(dense);
});

const rows = Int32Array.from({ length: 50 }, (_, i) => 11 * i + 3);

function filled(set: SampleSet, form: InputForm, allColumns = false) {
  const batch = createBatch(64, 784, 10, allColumns, form);
  fillBatch(batch, set, rows, 0, rows.length, 64);
  return batch;
}

describe("batches from sparse sets", () => {
  test.each(["dense", "sparse"] as const)("%s form: the same batch as from the bytes", (form) => {
    const [a, b] = [filled(dense, form), filled(sparse, form)];
    expect(b.sparse).toBe(form === "sparse");
    expect(b.width).toBe(a.width);
    expect(b.columns.subarray(0, b.width)).toEqual(a.columns.subarray(0, a.width));
    expect(b.y).toEqual(a.y);
    expect(b.weights).toEqual(a.weights);
    if (form === "dense")
      expect(b.x.subarray(0, 64 * b.width)).toEqual(a.x.subarray(0, 64 * a.width));
    else {
      const count = a.rows.rowStart[64];
      expect(b.rows.rowStart).toEqual(a.rows.rowStart);
      expect(b.rows.index.subarray(0, count)).toEqual(a.rows.index.subarray(0, count));
      expect(b.rows.value.subarray(0, count)).toEqual(a.rows.value.subarray(0, count));
    }
  });

  test("every column (a conv's batches): the dense images", () => {
    const [a, b] = [filled(dense, "auto", true), filled(sparse, "auto", true)];
    expect(b.sparse).toBe(false);
    expect(b.x).toEqual(a.x);
  });

  // 16 and 32 units: the kernel gradient scattered into rows; 64 and 512: sorted by kernel row.
  test.each([16, 32, 64, 512])(
    "sparse and dense forms, Dense(%d): the same gradients (1e-6)",
    (units) => {
      const layout = modelLayout(mlpSpec([units]));
      const params = initParams(layout.spec, 2);
      const step = new SequentialGemmStep(layout, 64);
      const [g1, g2] = [new Float32Array(layout.size), new Float32Array(layout.size)];
      const r1 = step.gradientsInto(params, filled(sparse, "sparse"), g1);
      const r2 = step.gradientsInto(params, filled(sparse, "dense"), g2);
      expect(r1.loss).toBeCloseTo(r2.loss, 6);
      expect(maxAbsDiff(g1, g2)).toBeLessThan(1e-6);
      expect(Math.max(...g2.map(Math.abs))).toBeGreaterThan(1e-3);
    },
  );

  test.each([16, 512])(
    "sparse form, Dense(%d): in place on a shared memory (the plane's), the same bits as staged",
    (units) => {
      const layout = modelLayout(mlpSpec([units]));
      const params = initParams(layout.spec, 3);
      const bytes = 4 * layout.size;
      const pages = Math.ceil((64 + 2 * bytes) / 65536);
      const weights = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
      // Odd offsets in the memory, past other data, as the plane's copies lie.
      const inPlace = new Float32Array(weights.buffer, 64, layout.size);
      const inPlaceGrads = new Float32Array(weights.buffer, 64 + bytes, layout.size).fill(9);
      inPlace.set(params);
      const staged = new Float32Array(layout.size).fill(9);
      const step = new SequentialGemmStep(layout, 64);
      const batch = filled(sparse, "sparse");
      const r1 = step.gradientsInto(inPlace, batch, inPlaceGrads, undefined, [], weights);
      const r2 = step.gradientsInto(params, batch, staged);
      expect(r1).toEqual(r2);
      const bits = (v: Float32Array) => new Uint32Array(v.slice().buffer);
      expect(bits(inPlaceGrads)).toEqual(bits(staged));
      expect(bits(inPlace)).toEqual(bits(params));
      expect(Math.max(...staged.map(Math.abs))).toBeGreaterThan(1e-3);
    },
  );

  test("evaluation in place on the shared memory equals it staged", () => {
    const spec = mlpSpec();
    const params = initParams(spec, 4);
    const pages = Math.ceil((64 + 4 * params.length) / 65536);
    const weights = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const inPlace = new Float32Array(weights.buffer, 64, params.length);
    inPlace.set(params);
    const model = workerModel(spec);
    const options = { predictions: true };
    const staged = model.evaluate(params, sparse, options);
    expect(model.evaluate(inPlace, sparse, options, weights)).toEqual(staged);
    expect(staged.count).toBe(sparse.count);
  });
});
