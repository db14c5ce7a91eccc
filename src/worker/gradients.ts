import type { ParamLayout } from "../core/spec.ts";
import { tf } from "../tf/backend.ts";
import type { DenseTensors } from "../tf/dense.ts";
import { gatherRows } from "./active-columns.ts";
import type { Batch } from "./batch.ts";
import { DenseGemmStep } from "./dense-gemm.ts";

/**
 * A worker's share of a step: the batch's forward and backward pass over its active columns
 * on the wasm gemm (dense-gemm.ts), gradients into `out` (flat layout; inactive rows of the
 * first kernel are zero). Returns the batch's weighted loss and its correct predictions. One
 * step object per worker realm, rebuilt when the layout or batch capacity changes.
 */
export function computeGradientsInto(
  layout: ParamLayout,
  params: Float32Array,
  batch: Batch,
  out: Float32Array,
  timings?: Float64Array,
): { loss: number; correct: number } {
  if (step?.layout !== layout || step.capacity !== batch.capacity) {
    step = new DenseGemmStep(layout, batch.capacity);
  }
  return step.gradientsInto(params, batch, out, timings);
}

let step: DenseGemmStep | undefined;

/** Scratch for the first kernel's active rows (one per worker realm, grown as needed). */
let rowScratch = new Float32Array(0);

/** The layer tensors for a batch: the first kernel restricted to the batch's active rows. */
export function tensorsForBatch(
  layout: ParamLayout,
  params: Float32Array,
  batch: Batch,
): DenseTensors {
  const [first, ...rest] = layout.layers;
  const size = batch.width * first.units;
  if (rowScratch.length < size) rowScratch = new Float32Array(first.inputs * first.units);
  gatherRows(params, first.kernelOffset, first.units, batch.columns, batch.width, rowScratch);
  const kernel = (offset: number, rows: number, units: number) =>
    tf.tensor2d(params.subarray(offset, offset + rows * units), [rows, units]);
  return {
    kernels: [
      tf.tensor2d(rowScratch.subarray(0, size), [batch.width, first.units]),
      ...rest.map((l) => kernel(l.kernelOffset, l.inputs, l.units)),
    ],
    biases: layout.layers.map((l) =>
      tf.tensor1d(params.subarray(l.biasOffset, l.biasOffset + l.units)),
    ),
  };
}
