import type { SampleSet } from "../core/data/dataset.ts";
import type { OutputLoss } from "../core/loss/output-loss.ts";
import type { Predictions } from "../core/metric/confusion.ts";
import { type Batch, fillBatch } from "./batch.ts";
import { addMetricSums, rowMetrics, scoreOutputs } from "./output-score.ts";

export interface EvalResult {
  /** Σ loss over the evaluated samples. */
  lossSum: number;
  correct: number;
  count: number;
  /** Per sample, in the set's order; only when asked for (the confusion matrix needs them). */
  predictions?: Predictions;
  /** Σ value over the samples of each metric asked for, in `options.metrics` order. */
  metricSums?: number[];
}

/** What evaluation needs of a step (model.ts `Step`): its forward and its loss. */
export interface StepForward {
  /** The loss at the output, which applies the last layer's activation when they fuse. */
  readonly loss: OutputLoss;
  /**
   * The last layer's outputs for the batch, `capacity × units`, before an activation the loss
   * fuses (`loss.predictions` applies it): read them before the step's next call. `weights`:
   * the shared memory `params` may be a view of.
   */
  outputs(params: Float32Array, batch: Batch, weights?: WebAssembly.Memory): Float32Array;
}

export interface EvalOptions {
  readonly predictions?: boolean;
  /** Which of the shard's splits (default "test"). */
  readonly split?: "train" | "test";
  /** Keras metric names to measure besides the loss (core/metric `resolveMetrics`). */
  readonly metrics?: readonly string[];
}

/**
 * Runs the model forward over `set` in chunks of the batch's capacity: sums the loss and the
 * hits and, with `options.predictions`, gathers each sample's predicted class and probability.
 */
export function evaluateInChunks(
  set: SampleSet,
  batch: Batch,
  options: EvalOptions,
  step: StepForward,
  params: Float32Array,
  weights?: WebAssembly.Memory,
): EvalResult {
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  const predictions = options.predictions
    ? { predicted: new Uint8Array(set.count), confidence: new Float32Array(set.count) }
    : undefined;
  const classes = batch.y.length / batch.capacity;
  const metrics = rowMetrics(options.metrics ?? [], step.loss.loss, classes);
  const metricSums = new Float64Array(metrics.length);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += batch.capacity) {
    const n = Math.min(batch.capacity, set.count - start);
    // Weight 1 per real sample: the sum of losses, not the mean.
    fillBatch(batch, set, order, start, n, 1);
    const outputs = step.outputs(params, batch, weights);
    const chunk = scoreOutputs(step.loss, outputs, batch);
    lossSum += chunk.loss;
    correct += chunk.correct;
    const probabilities = step.loss.predictions(outputs);
    if (metrics.length > 0) addMetricSums(metrics, probabilities, batch, metricSums);
    if (predictions) predictInto(probabilities, classes, n, predictions, start);
  }
  return {
    ...{ lossSum, correct, count: set.count },
    ...(predictions ? { predictions } : {}),
    ...(metrics.length > 0 ? { metricSums: Array.from(metricSums) } : {}),
  };
}

/**
 * Each of the first `n` rows' predicted class and its probability, at `start` on: the first
 * maximum of a row of probabilities, or for one sigmoid unit class 1 when p > 0.5.
 */
function predictInto(
  probabilities: Float32Array,
  classes: number,
  n: number,
  into: Predictions,
  start: number,
): void {
  for (let i = 0; i < n; i++) {
    const at = i * classes;
    if (classes === 1) {
      const p = probabilities[at];
      into.predicted[start + i] = p > 0.5 ? 1 : 0;
      into.confidence[start + i] = p > 0.5 ? p : 1 - p;
      continue;
    }
    let best = at;
    for (let k = at + 1; k < at + classes; k++) {
      if (probabilities[k] > probabilities[best]) best = k;
    }
    into.predicted[start + i] = best - at;
    into.confidence[start + i] = probabilities[best];
  }
}
