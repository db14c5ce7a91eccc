/**
 * Keras's metrics by the names a user compiles them with, resolved against the loss as Keras
 * resolves them, and the history keys they report under.
 */
import type { LossName, TargetLayout } from "../loss/loss.ts";
import { binaryAccuracy } from "./binary-accuracy.ts";
import { categoricalAccuracy } from "./categorical-accuracy.ts";
import { maeMetric } from "./mae.ts";
import type { MetricFunction } from "./metric.ts";
import { mseMetric } from "./mse.ts";
import { sparseCategoricalAccuracy } from "./sparse-categorical-accuracy.ts";
import { sparseTopKCategoricalAccuracy } from "./sparse-top-k-categorical-accuracy.ts";
import { topKCategoricalAccuracy } from "./top-k-categorical-accuracy.ts";

export * from "./exact-sum.ts";
export * from "./metric.ts";

/** Every metric name resolveMetrics accepts. */
export const METRIC_NAMES = [
  "accuracy",
  "acc",
  "categorical_accuracy",
  "sparse_categorical_accuracy",
  "binary_accuracy",
  "top_k_categorical_accuracy",
  "sparse_top_k_categorical_accuracy",
  "mae",
  "mean_absolute_error",
  "mse",
  "mean_squared_error",
] as const;

const FUNCTIONS: Readonly<Record<string, MetricFunction>> = {
  categorical_accuracy: categoricalAccuracy,
  sparse_categorical_accuracy: sparseCategoricalAccuracy,
  binary_accuracy: binaryAccuracy,
  top_k_categorical_accuracy: topKCategoricalAccuracy,
  sparse_top_k_categorical_accuracy: sparseTopKCategoricalAccuracy,
  mae: maeMetric,
  mean_absolute_error: maeMetric,
  mse: mseMetric,
  mean_squared_error: mseMetric,
};

/** A metric as compiled: its function and the history key it reports under. */
export interface Metric {
  /** The name the user gave (Keras names a metric given as a string by that string). */
  readonly key: string;
  readonly fn: MetricFunction;
}

/** The loss a model trains with and its last layer's width: what "accuracy" depends on. */
export interface MetricContext {
  readonly loss: LossName;
  readonly units: number;
}

/** The layout of the targets a loss reads (the only one the step holds). */
function targetLayout(loss: LossName): TargetLayout {
  return loss === "sparse_categorical_crossentropy" ? "class-indices" : "rows";
}

/**
 * The metrics `names` as Keras's compile resolves them; a repeated name gets Keras's
 * `_1`, `_2`, … suffix. Throws on an unknown name (listing the valid ones) and on a metric
 * that reads targets of another layout than the loss's.
 */
export function resolveMetrics(names: readonly string[], context: MetricContext): Metric[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const fn = metricFunction(name, context);
    const repeats = seen.get(name) ?? 0;
    seen.set(name, repeats + 1);
    return { key: repeats === 0 ? name : `${name}_${repeats}`, fn };
  });
}

function metricFunction(name: string, { loss, units }: MetricContext): MetricFunction {
  const layout = targetLayout(loss);
  if (name === "accuracy" || name === "acc") return accuracyFor(layout, units);
  const fn = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (!fn) {
    throw new Error(
      `unknown metric ${JSON.stringify(name)}: expected one of ${METRIC_NAMES.join(", ")}`,
    );
  }
  // With one unit, class indices 0/1 are the same buffer as rows of one target.
  if (fn.targets !== layout && !(units === 1 && fn.targets === "rows")) {
    throw new Error(
      `metric ${name} reads ${layoutWords(fn.targets)} ` +
        `but loss ${loss} trains on ${layoutWords(layout)}`,
    );
  }
  return fn;
}

/**
 * Keras's rule for "accuracy" (compile_utils.get_metric), by shapes: one output unit →
 * binary_accuracy; class-index targets → sparse_categorical_accuracy; otherwise
 * categorical_accuracy — multi-label rows included, as in Keras.
 */
function accuracyFor(layout: TargetLayout, units: number): MetricFunction {
  if (units === 1) return binaryAccuracy;
  return layout === "class-indices" ? sparseCategoricalAccuracy : categoricalAccuracy;
}

function layoutWords(layout: TargetLayout): string {
  return layout === "rows" ? "target rows" : "class indices";
}

/** Keras's key for a metric (or "loss") on the validation data. */
export function validationKey(key: string): string {
  return `val_${key}`;
}

/** The keys of a Keras History: "loss" and each metric's key, then their val_ forms. */
export function historyKeys(metricKeys: readonly string[], withValidation: boolean): string[] {
  const training = ["loss", ...metricKeys];
  return withValidation ? [...training, ...training.map(validationKey)] : training;
}
