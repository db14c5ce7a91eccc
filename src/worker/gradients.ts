import { TIMING } from "../collective/telemetry.ts";
import type { ParamLayout } from "../core/spec.ts";
import { tf } from "../tf/backend.ts";
import { denseLossAndGrads, tensorsFromFlat } from "../tf/dense.ts";
import { copyInto } from "../tf/transfer.ts";
import type { Batch } from "./batch.ts";

/**
 * A worker's share of a step: uploads `params` and the batch, runs the hand-derived forward
 * and backward pass, and copies the gradients into `out` (flat layout). Returns the batch's
 * weighted loss and its correct predictions. Every tensor is disposed before it returns.
 */
export function computeGradientsInto(
  layout: ParamLayout,
  params: Float32Array,
  batch: Batch,
  out: Float32Array,
  timings?: Float64Array,
): { loss: number; correct: number } {
  const t0 = timings ? performance.now() : 0;
  const inputs = layout.layers[0].inputs;
  const classes = layout.layers[layout.layers.length - 1].units;
  const tensors = tensorsFromFlat(layout, params);
  const x = tf.tensor2d(batch.x, [batch.capacity, inputs]);
  const y = tf.tensor2d(batch.y, [batch.capacity, classes]);
  const weights = tf.tensor1d(batch.weights);
  const mask = tf.tensor1d(batch.mask);
  if (timings) timings[TIMING.upload] += performance.now() - t0;
  const result = denseLossAndGrads(tensors, x, y, weights, mask);
  try {
    const t1 = timings ? performance.now() : 0;
    layout.layers.forEach((l, i) => {
      copyInto(result.grads[2 * i], out, l.kernelOffset);
      copyInto(result.grads[2 * i + 1], out, l.biasOffset);
    });
    const loss = result.loss.dataSync()[0];
    const correct = result.correct.dataSync()[0];
    if (timings) timings[TIMING.download] += performance.now() - t1;
    return { loss, correct };
  } finally {
    tf.dispose([
      ...tensors.kernels,
      ...tensors.biases,
      x,
      y,
      weights,
      mask,
      result.loss,
      result.correct,
      ...result.grads,
    ]);
  }
}
