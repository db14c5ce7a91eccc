import { TIMING } from "../collective/telemetry.ts";
import type { ImageSet } from "../core/dataset.ts";
import { type SequentialLayout, shapeSize } from "../core/model/sequential.ts";
import { tf } from "../tf/backend.ts";
import { sequentialLogits, sequentialLossAndGrads, sequentialTensors } from "../tf/sequential.ts";
import { copyInto } from "../tf/transfer.ts";
import { type Batch, createBatch } from "./batch.ts";
import { type EvalOptions, type EvalResult, evaluateInChunks } from "./evaluate.ts";

/**
 * A worker's step and evaluation for any Sequential model (convnets): every weight and the
 * whole images are uploaded, src/tf/sequential.ts runs the forward and hand-derived backward,
 * and the gradients land in `out` in flat-layout order. Every tensor is disposed before a
 * function returns.
 */

/** The batch as tensors: `x` `[B, …input shape]`, one-hot labels, loss weights, real-row mask. */
function batchTensors(layout: SequentialLayout, batch: Batch) {
  const classes = batch.y.length / batch.capacity;
  return {
    x: tf.tensor(batch.x, [batch.capacity, ...layout.inputShape]),
    y: tf.tensor2d(batch.y, [batch.capacity, classes]),
    weights: tf.tensor1d(batch.weights),
    mask: tf.tensor1d(batch.mask),
  };
}

export function sequentialGradientsInto(
  layout: SequentialLayout,
  params: Float32Array,
  batch: Batch,
  out: Float32Array,
  timings?: Float64Array,
  masks?: readonly Float32Array[],
): { loss: number; correct: number } {
  const t0 = timings ? performance.now() : 0;
  const weights = sequentialTensors(layout, params);
  const b = batchTensors(layout, batch);
  if (timings) timings[TIMING.upload] += performance.now() - t0;
  const result = sequentialLossAndGrads(layout, weights, b.x, b.y, b.weights, b.mask, {
    dropoutMasks: masks,
  });
  try {
    const t1 = timings ? performance.now() : 0;
    result.grads.forEach((g, i) => {
      copyInto(g, out, layout.weights[i].offset);
    });
    const loss = result.loss.dataSync()[0];
    const correct = result.correct.dataSync()[0];
    if (timings) timings[TIMING.download] += performance.now() - t1;
    return { loss, correct };
  } finally {
    tf.dispose([...weights, b.x, b.y, b.weights, b.mask]);
    tf.dispose([result.loss, result.correct, ...result.grads]);
  }
}

/** Evaluation chunk: one compiled shape; small enough that a convnet's activations stay modest. */
const EVAL_CHUNK = 250;

/**
 * Loss and accuracy of the model at `params` over all of `set` (Dropout is the identity);
 * with `predictions`, also each sample's predicted class and its probability.
 */
export function evaluateSequential(
  layout: SequentialLayout,
  params: Float32Array,
  set: ImageSet,
  options: EvalOptions = {},
): EvalResult {
  const batch = createBatch(EVAL_CHUNK, set.rows * set.cols, batchClasses(layout), true);
  const weights = sequentialTensors(layout, params);
  try {
    return evaluateInChunks(set, batch, options, (b) => {
      const t = batchTensors(layout, b);
      return { logits: sequentialLogits(layout, weights, t.x), oneHot: t.y, weights: t.weights };
    });
  } finally {
    tf.dispose(weights);
  }
}

function batchClasses(layout: SequentialLayout): number {
  return shapeSize(layout.outputShape);
}
