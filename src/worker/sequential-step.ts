import { TIMING } from "../collective/telemetry.ts";
import type { ImageSet } from "../core/dataset.ts";
import { sampleDropoutMasks } from "../core/model/dropout.ts";
import type { SequentialLayout } from "../core/model/sequential.ts";
import type { Rng } from "../core/rng.ts";
import { tf } from "../tf/backend.ts";
import { weightedCrossEntropy } from "../tf/dense.ts";
import { sequentialLogits, sequentialLossAndGrads, sequentialTensors } from "../tf/sequential.ts";
import { copyInto } from "../tf/transfer.ts";
import { type Batch, createBatch, fillBatch } from "./batch.ts";
import type { EvalOptions, EvalResult } from "./evaluate.ts";

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
  dropoutRng?: (row: number) => Rng,
): { loss: number; correct: number } {
  const t0 = timings ? performance.now() : 0;
  const weights = sequentialTensors(layout, params);
  const b = batchTensors(layout, batch);
  const masks = dropoutRng ? sampleDropoutMasks(layout, batch.capacity, dropoutRng) : undefined;
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
  const classes = batchClasses(layout);
  const batch = createBatch(EVAL_CHUNK, set.rows * set.cols, classes, true);
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  const weights = sequentialTensors(layout, params);
  const predictions = options.predictions
    ? { predicted: new Uint8Array(set.count), confidence: new Float32Array(set.count) }
    : undefined;
  let lossSum = 0;
  let correct = 0;
  try {
    for (let start = 0; start < set.count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, set.count - start);
      // Weight 1 per real sample: the sum of losses, not the mean.
      fillBatch(batch, set, order, start, n, 1);
      const chunk = evaluateChunk(layout, weights, batch, predictions !== undefined);
      lossSum += chunk.loss;
      correct += chunk.correct;
      if (predictions && chunk.predicted && chunk.confidence) {
        predictions.predicted.set(chunk.predicted.subarray(0, n), start);
        predictions.confidence.set(chunk.confidence.subarray(0, n), start);
      }
    }
  } finally {
    tf.dispose(weights);
  }
  return { lossSum, correct, count: set.count, ...(predictions ? { predictions } : {}) };
}

interface ChunkResult {
  readonly loss: number;
  readonly correct: number;
  readonly predicted?: Int32Array;
  readonly confidence?: Float32Array;
}

function evaluateChunk(
  layout: SequentialLayout,
  weights: tf.Tensor[],
  batch: Batch,
  withPredictions: boolean,
): ChunkResult {
  const outputs = tf.tidy(() => {
    const b = batchTensors(layout, batch);
    const logits = sequentialLogits(layout, weights, b.x);
    const predicted = tf.argMax(logits, 1);
    const hits = tf.cast(tf.equal(predicted, tf.argMax(b.y, 1)), "float32");
    const sums = [weightedCrossEntropy(logits, b.y, b.weights), tf.sum(tf.mul(hits, b.weights))];
    return withPredictions ? [...sums, predicted, tf.max(tf.softmax(logits), 1)] : sums;
  });
  const [loss, correct, predicted, confidence] = outputs.map((t) => t.dataSync());
  tf.dispose(outputs);
  return {
    loss: loss[0],
    correct: correct[0],
    predicted: predicted as Int32Array | undefined,
    confidence: confidence as Float32Array | undefined,
  };
}

function batchClasses(layout: SequentialLayout): number {
  return layout.outputShape.reduce((a, b) => a * b, 1);
}
