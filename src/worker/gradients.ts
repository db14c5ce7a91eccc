import { TIMING } from "../collective/telemetry.ts";
import type { ParamLayout } from "../core/model/dense-stack.ts";
import { tf } from "../tf/backend.ts";
import { type DenseTensors, denseLossAndGrads } from "../tf/dense.ts";
import { copyInto, valuesOf } from "../tf/transfer.ts";
import { GEMM_KERNEL } from "../wasm/gemm.ts";
import { gatherRows, scatterRows } from "./active-columns.ts";
import { activeInputs, type Batch } from "./batch.ts";
import { DenseGemmStep } from "./dense-gemm.ts";

/**
 * A worker's share of a step: the batch's forward and backward pass over its active columns
 * on the wasm gemm (dense-gemm.ts), gradients into `out` (flat layout; inactive rows of the
 * first kernel are zero). Returns the batch's weighted loss and its correct predictions. One
 * step object per worker realm, rebuilt when the layout or batch capacity changes; a runtime
 * without relaxed SIMD (some browsers) computes the step on tfjs instead.
 */
export function computeGradientsInto(
  layout: ParamLayout,
  params: Float32Array,
  batch: Batch,
  out: Float32Array,
  timings?: Float64Array,
): { loss: number; correct: number } {
  if (GEMM_KERNEL.unavailable()) return tfjsGradientsInto(layout, params, batch, out, timings);
  if (step?.layout !== layout || step.capacity !== batch.capacity) {
    step = new DenseGemmStep(layout, batch.capacity);
  }
  return step.gradientsInto(params, batch, out, timings);
}

let step: DenseGemmStep | undefined;

/**
 * The same step on tfjs (src/tf/dense.ts): uploads `params` (the first kernel's active rows
 * only) and the batch, runs the hand-derived forward and backward pass, and writes the
 * gradients into `out`. Every tensor is disposed before it returns.
 */
export function tfjsGradientsInto(
  layout: ParamLayout,
  params: Float32Array,
  batch: Batch,
  out: Float32Array,
  timings?: Float64Array,
): { loss: number; correct: number } {
  const t0 = timings ? performance.now() : 0;
  const classes = layout.layers[layout.layers.length - 1].units;
  const tensors = tensorsForBatch(layout, params, batch);
  const x = tf.tensor2d(activeInputs(batch), [batch.capacity, batch.width]);
  const y = tf.tensor2d(batch.y, [batch.capacity, classes]);
  const weights = tf.tensor1d(batch.weights);
  const mask = tf.tensor1d(batch.mask);
  if (timings) timings[TIMING.upload] += performance.now() - t0;
  const result = denseLossAndGrads(tensors, x, y, weights, mask);
  try {
    const t1 = timings ? performance.now() : 0;
    writeGradients(layout, batch, result.grads, out);
    const loss = result.loss.dataSync()[0];
    const correct = result.correct.dataSync()[0];
    if (timings) timings[TIMING.download] += performance.now() - t1;
    return { loss, correct };
  } finally {
    tf.dispose([...tensors.kernels, ...tensors.biases, x, y, weights, mask]);
    tf.dispose([result.loss, result.correct, ...result.grads]);
  }
}

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

/** Gradients to the flat layout: the first kernel's rows scattered, the rest copied. */
function writeGradients(layout: ParamLayout, batch: Batch, grads: tf.Tensor[], out: Float32Array) {
  const first = layout.layers[0];
  const rows = valuesOf(grads[0]);
  scatterRows(rows, out, first.kernelOffset, first.inputs, first.units, batch.columns, batch.width);
  copyInto(grads[1], out, first.biasOffset);
  layout.layers.forEach((l, i) => {
    if (i === 0) return;
    copyInto(grads[2 * i], out, l.kernelOffset);
    copyInto(grads[2 * i + 1], out, l.biasOffset);
  });
}
