import { denseInputs, type SampleSet } from "../core/data/dataset.ts";
import { lossByName } from "../core/loss/index.ts";
import type { LossName } from "../core/loss/loss.ts";
import { CLASSIFICATION } from "../core/loss/output-loss.ts";
import { forward } from "../core/model/forward.ts";
import { type ModelSpec, modelLayout, shapeSize } from "../core/model/sequential.ts";
import { rowMetrics } from "../worker/output-score.ts";

/** Samples per forward pass: bounds the main thread's activations. */
const CHUNK = 256;

export interface SetEvaluation {
  /** The run's loss, as Keras averages it over the samples. */
  readonly loss: number;
  /** Accuracy for a cross-entropy (argmax, or 0.5 for one sigmoid output); NaN otherwise. */
  readonly accuracy: number;
  /** Each of `metricNames`' mean over the samples, in their order. */
  readonly metrics: number[];
}

/**
 * The model on `set` (the validation split), on the main thread with core's plain-TS forward
 * pass, in chunks: the workers hold only their shards of the training data. The loss reads the
 * model's outputs as Keras's compiled loss does (probabilities, clipped for a cross-entropy).
 */
export function evaluateSamples(
  spec: ModelSpec,
  params: Float32Array,
  set: SampleSet,
  lossName: LossName,
  metricNames: readonly string[] = [],
): SetEvaluation {
  const model = { layout: modelLayout(spec), params };
  const units = shapeSize(model.layout.outputShape);
  // Class indices arrive as one-hot rows: the sparse loss on indices is the categorical one on rows.
  const loss = lossByName(
    lossName === "sparse_categorical_crossentropy" ? "categorical_crossentropy" : lossName,
  );
  const classification = CLASSIFICATION.includes(lossName);
  const metrics = rowMetrics(metricNames, lossName, units);
  const metricSums = new Float64Array(metrics.length);
  const values = new Float64Array(CHUNK);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += CHUNK) {
    const count = Math.min(CHUNK, set.count - start);
    // A chunk at a time: CSR rows (multi-hot data) are densified CHUNK samples at most.
    const predictions = forward(model, denseInputs(set, start, count), count);
    const targets = targetRows(set, start, count, units);
    const weights = new Float32Array(count).fill(1);
    lossSum += loss.evaluate({ predictions, targets, units, weights });
    if (classification) correct += hits(predictions, targets, count, units);
    metrics.forEach((metric, m) => {
      const perSample = values.subarray(0, count);
      metric.perSample({ predictions, targets, units }, perSample);
      for (let r = 0; r < count; r++) metricSums[m] += perSample[r];
    });
  }
  return {
    loss: lossSum / set.count,
    accuracy: classification ? correct / set.count : Number.NaN,
    metrics: Array.from(metricSums, (sum) => sum / set.count),
  };
}

/** The targets of samples [start, start + count) as rows of `units` (class indices one-hot). */
function targetRows(set: SampleSet, start: number, count: number, units: number): Float32Array {
  const y = set.y;
  if (y.kind === "rows") return y.data.subarray(start * units, (start + count) * units);
  const rows = new Float32Array(count * units);
  for (let r = 0; r < count; r++) {
    const label = y.labels[start + r];
    if (units === 1) rows[r] = label;
    else rows[r * units + label] = 1;
  }
  return rows;
}

/** Rows whose prediction is the target's class: argmax, or p ≥ 0.5 for one output. */
function hits(predictions: Float32Array, targets: Float32Array, count: number, units: number) {
  let correct = 0;
  for (let r = 0; r < count; r++) {
    if (units === 1) {
      if (predictions[r] >= 0.5 === targets[r] >= 0.5) correct++;
      continue;
    }
    const row = r * units;
    let predicted = 0;
    let actual = 0;
    for (let k = 1; k < units; k++) {
      if (predictions[row + k] > predictions[row + predicted]) predicted = k;
      if (targets[row + k] > targets[row + actual]) actual = k;
    }
    if (predicted === actual) correct++;
  }
  return correct;
}
