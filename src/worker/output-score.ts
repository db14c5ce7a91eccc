import type { LossName } from "../core/loss/loss.ts";
import type { OutputLoss } from "../core/loss/output-loss.ts";
import { binaryAccuracy } from "../core/metric/binary-accuracy.ts";
import { categoricalAccuracy } from "../core/metric/categorical-accuracy.ts";
import { type MetricFunction, resolveMetrics } from "../core/metric/index.ts";
import type { Batch } from "./batch.ts";

/**
 * What a step reports for a batch: its loss (Σ wᵢ·lossᵢ, the gradient written alongside) and,
 * for a classification loss, the real rows predicted right, by Keras's "accuracy" for the
 * output's shape (binary_accuracy for one unit, categorical_accuracy on rows otherwise).
 */
export function scoreOutputs(
  loss: OutputLoss,
  outputs: Float32Array,
  batch: Batch,
  gradient?: Float32Array,
): { loss: number; correct: number } {
  const value = loss.evaluate(outputs, batch, gradient);
  if (!loss.classification) return { loss: value, correct: 0 };
  const units = outputs.length / batch.capacity;
  const accuracy = units === 1 ? binaryAccuracy : categoricalAccuracy;
  const hits = new Float64Array(batch.capacity);
  accuracy.perSample({ predictions: loss.predictions(outputs), targets: batch.y, units }, hits);
  let correct = 0;
  for (let r = 0; r < batch.capacity; r++) correct += batch.mask[r] * hits[r];
  return { loss: value, correct };
}

/**
 * Keras's metrics `names` as a step measures them: on target rows, where a class index is
 * its one-hot row (sparse_categorical_accuracy is categorical_accuracy there, and so on).
 */
export function rowMetrics(
  names: readonly string[],
  loss: LossName,
  units: number,
): MetricFunction[] {
  const onRows = loss === "sparse_categorical_crossentropy" ? "categorical_crossentropy" : loss;
  const rowNames = names.map((n) => n.replace(/^sparse_/, ""));
  return resolveMetrics(rowNames, { loss: onRows, units }).map((m) => m.fn);
}

/** Adds Σ value over the batch's real rows of each metric to `sums` (one per metric). */
export function addMetricSums(
  metrics: readonly MetricFunction[],
  predictions: Float32Array,
  batch: Batch,
  sums: Float64Array,
): void {
  const units = predictions.length / batch.capacity;
  const values = new Float64Array(batch.capacity);
  metrics.forEach((metric, m) => {
    metric.perSample({ predictions, targets: batch.y, units }, values);
    for (let r = 0; r < batch.capacity; r++) sums[m] += batch.mask[r] * values[r];
  });
}
