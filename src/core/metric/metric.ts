/**
 * A Keras metric as a mergeable streaming mean (Keras's MeanMetricWrapper): each sample gets a
 * value, and the metric is Σ weight·value / Σ weight over every batch added — per worker, then
 * merged. The sums are exact (exact-sum.ts), so the merged value is the same for any number of
 * workers and any merge order.
 */
import { checkedRows, type Floats, type TargetLayout } from "../loss/loss.ts";
import { addToSum, type ExactSum, exactSum, mergeSum, sumValue } from "./exact-sum.ts";

export interface MetricInput {
  /** The last layer's outputs (after its activation: probabilities), [rows × units]. */
  readonly predictions: Floats;
  /** [rows × units], or [rows] class indices for a metric whose `targets` is "class-indices". */
  readonly targets: Floats;
  readonly units: number;
  /** [rows]: Keras's sample_weight; the step passes 1 for real rows, 0 for padding (default 1). */
  readonly weights?: Floats;
}

/** One of Keras's metric functions: a value per sample. */
export interface MetricFunction {
  /** Keras's name of the function. */
  readonly name: string;
  readonly targets: TargetLayout;
  /** Writes each row's value to `values` [rows]; the input's shapes are already checked. */
  perSample(input: MetricInput, values: Float64Array): void;
}

/** A running weighted mean: plain data, so a worker can post it to the coordinator. */
export interface MeanState {
  readonly total: ExactSum;
  readonly count: ExactSum;
}

export function meanState(): MeanState {
  return { total: exactSum(), count: exactSum() };
}

/** Adds `values` [rows] with `weights` [rows] (all 1 when absent); rows of weight 0 are skipped. */
export function addValues(into: MeanState, values: Floats, weights?: Floats): void {
  if (weights && weights.length !== values.length) {
    throw new Error(`metric: ${weights.length} weights for ${values.length} values`);
  }
  for (let r = 0; r < values.length; r++) {
    const weight = weights ? weights[r] : 1;
    if (weight === 0) continue;
    addToSum(into.total, weight === 1 ? values[r] : weight * values[r]);
    addToSum(into.count, weight);
  }
}

export function mergeMeans(into: MeanState, from: MeanState): void {
  mergeSum(into.total, from.total);
  mergeSum(into.count, from.count);
}

/** Σ weight·value / Σ weight; 0 before any sample, as Keras's divide_no_nan gives. */
export function meanValue(state: MeanState): number {
  const count = sumValue(state.count);
  return count === 0 ? 0 : sumValue(state.total) / count;
}

/** Adds one batch of `metric`'s per-sample values to `into`, after checking the shapes. */
export function measureBatch(metric: MetricFunction, input: MetricInput, into: MeanState): void {
  const rows = checkedRows(metric.name, metric.targets, input);
  const values = scratch(rows);
  metric.perSample(input, values);
  addValues(into, values, input.weights);
}

let scratchValues = new Float64Array(0);

function scratch(rows: number): Float64Array {
  if (scratchValues.length < rows) scratchValues = new Float64Array(rows);
  return scratchValues.subarray(0, rows);
}
