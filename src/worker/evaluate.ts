import type { Predictions } from "../core/confusion.ts";
import type { ImageSet } from "../core/dataset.ts";
import type { ParamLayout } from "../core/model/dense-stack.ts";
import { tf } from "../tf/backend.ts";
import { denseLogits, weightedCrossEntropy } from "../tf/dense.ts";
import { activeInputs, type Batch, createBatch, fillBatch } from "./batch.ts";
import { tensorsForBatch } from "./gradients.ts";

export interface EvalResult {
  /** Σ cross-entropy over the evaluated samples. */
  lossSum: number;
  correct: number;
  count: number;
  /** Per sample, in the set's order; only when asked for (the confusion matrix needs them). */
  predictions?: Predictions;
}

export interface EvalOptions {
  readonly predictions?: boolean;
}

/** Fixed chunk size: one compiled shape for every evaluation. */
const EVAL_CHUNK = 500;

/** A chunk's forward pass: logits, one-hot labels and loss weights (1 per real row, 0 padding). */
export type ChunkForward = (batch: Batch) => {
  logits: tf.Tensor2D;
  oneHot: tf.Tensor2D;
  weights: tf.Tensor1D;
};

/** Loss and accuracy of the Dense stack at `params` over all of `set`. */
export function evaluateSet(
  layout: ParamLayout,
  params: Float32Array,
  set: ImageSet,
  options: EvalOptions = {},
): EvalResult {
  const classes = layout.layers[layout.layers.length - 1].units;
  const batch = createBatch(EVAL_CHUNK, set.rows * set.cols, classes);
  return evaluateInChunks(set, batch, options, (b) => ({
    // The first kernel's rows follow each chunk's active columns.
    logits: denseLogits(
      tensorsForBatch(layout, params, b),
      tf.tensor2d(activeInputs(b), [b.capacity, b.width]),
    ),
    oneHot: tf.tensor2d(b.y, [b.capacity, classes]),
    weights: tf.tensor1d(b.weights),
  }));
}

/**
 * Runs `forward` over `set` in chunks of the batch's capacity: sums the cross-entropy and the
 * hits and, with `options.predictions`, gathers each sample's predicted class and probability.
 * Every tensor `forward` creates is freed with its chunk.
 */
export function evaluateInChunks(
  set: ImageSet,
  batch: Batch,
  options: EvalOptions,
  forward: ChunkForward,
): EvalResult {
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  const predictions = options.predictions
    ? { predicted: new Uint8Array(set.count), confidence: new Float32Array(set.count) }
    : undefined;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += batch.capacity) {
    const n = Math.min(batch.capacity, set.count - start);
    // Weight 1 per real sample: the sum of losses, not the mean.
    fillBatch(batch, set, order, start, n, 1);
    const outputs = tf.tidy(() => chunkOutputs(forward(batch), predictions !== undefined));
    const [loss, hits, predicted, confidence] = outputs.map((t) => t.dataSync());
    tf.dispose(outputs);
    lossSum += loss[0];
    correct += hits[0];
    predictions?.predicted.set(predicted.subarray(0, n), start);
    predictions?.confidence.set(confidence.subarray(0, n), start);
  }
  return { lossSum, correct, count: set.count, ...(predictions ? { predictions } : {}) };
}

/** Σ weighted cross-entropy and Σ weighted hits; with predictions, argmax and its probability. */
function chunkOutputs(
  { logits, oneHot, weights }: ReturnType<ChunkForward>,
  withPredictions: boolean,
): tf.Tensor[] {
  const predicted = tf.argMax(logits, 1);
  const hits = tf.cast(tf.equal(predicted, tf.argMax(oneHot, 1)), "float32");
  const sums = [weightedCrossEntropy(logits, oneHot, weights), tf.sum(tf.mul(hits, weights))];
  return withPredictions ? [...sums, predicted, tf.max(tf.softmax(logits), 1)] : sums;
}
