import type { Predictions } from "../core/confusion.ts";
import type { ImageSet } from "../core/dataset.ts";
import { type Batch, fillBatch } from "./batch.ts";
import { softmaxCrossEntropyInto } from "./loss.ts";

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

/**
 * Runs the model forward over `set` in chunks of the batch's capacity (`logitsOf`: a chunk's
 * logits, `capacity × classes`): sums the cross-entropy and the hits and, with
 * `options.predictions`, gathers each sample's predicted class and probability.
 */
export function evaluateInChunks(
  set: ImageSet,
  batch: Batch,
  options: EvalOptions,
  logitsOf: (batch: Batch) => Float32Array,
): EvalResult {
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  const predictions = options.predictions
    ? { predicted: new Uint8Array(set.count), confidence: new Float32Array(set.count) }
    : undefined;
  // The loss's gradient, written alongside it and not needed here.
  const dz = new Float32Array(batch.y.length);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += batch.capacity) {
    const n = Math.min(batch.capacity, set.count - start);
    // Weight 1 per real sample: the sum of losses, not the mean.
    fillBatch(batch, set, order, start, n, 1);
    const logits = logitsOf(batch);
    const chunk = softmaxCrossEntropyInto(logits, batch, dz);
    lossSum += chunk.loss;
    correct += chunk.correct;
    if (predictions) predictInto(logits, dz.length / batch.capacity, n, predictions, start);
  }
  return { lossSum, correct, count: set.count, ...(predictions ? { predictions } : {}) };
}

/** Each of the first `n` rows' first maximum and its softmax probability, at `start` on. */
function predictInto(
  logits: Float32Array,
  classes: number,
  n: number,
  into: Predictions,
  start: number,
): void {
  for (let i = 0; i < n; i++) {
    const at = i * classes;
    let best = at;
    for (let k = at + 1; k < at + classes; k++) if (logits[k] > logits[best]) best = k;
    let sum = 0;
    for (let k = at; k < at + classes; k++) sum += Math.exp(logits[k] - logits[best]);
    into.predicted[start + i] = best - at;
    into.confidence[start + i] = 1 / sum;
  }
}
