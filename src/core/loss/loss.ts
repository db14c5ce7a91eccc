/**
 * What every loss shares: the buffers a training step hands it and the contract of its result.
 *
 * Keras's default reduction, "sum_over_batch_size", is the sum of the per-sample losses (each
 * already reduced over the last axis, per loss) divided by the number of samples in the batch.
 * A data-parallel step sees only its shard of the global batch, so a loss does not divide: it
 * multiplies row r by `weights[r]`, and the step passes weights[r] = 1/B for its real rows
 * (B = the global batch's sample count, across all workers) and 0 for padding. The workers'
 * weighted sums and gradients then add up to Keras's batch loss and its gradient.
 */

import type { Floats } from "../model/activations.ts";

export type { Floats };

/** Keras's backend epsilon (`keras.config.epsilon()`). */
export const EPSILON = 1e-7;
/**
 * The cross-entropies' clip of probabilities to [ε, 1 − ε], with the bounds rounded to float32
 * as Keras's float32 `clip` rounds them.
 */
export const CLIP_LOW = Math.fround(EPSILON);
export const CLIP_HIGH = Math.fround(1 - EPSILON);

export function clipProbability(p: number): number {
  return Math.min(Math.max(p, CLIP_LOW), CLIP_HIGH);
}

export const LOSS_NAMES = [
  "categorical_crossentropy",
  "sparse_categorical_crossentropy",
  "binary_crossentropy",
  "mse",
  "mae",
  "huber",
] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/**
 * How a loss reads its targets: one row of `units` values per sample (one-hot or probability
 * rows, 0/1 labels, numbers), or one class index per sample.
 */
export type TargetLayout = "rows" | "class-indices";

export interface LossInput {
  /**
   * The last layer's outputs for `rows` samples, [rows × units] row-major: probabilities for
   * the cross-entropies, the pre-activation logits for a fused loss (`fusedLoss` in index.ts).
   */
  readonly predictions: Floats;
  /** [rows × units], or [rows] class indices when the loss's `targets` is "class-indices". */
  readonly targets: Floats;
  readonly units: number;
  /** [rows]: each row's factor on its loss and gradient (see above); all 1 when absent. */
  readonly weights?: Floats;
}

export interface LossOutput {
  /** [rows × units]: weights[r]·∂ℓᵣ/∂predictions[r, ·]; rows of weight 0 get zeros. */
  readonly gradient?: Floats;
  /** [rows]: the unweighted per-sample loss ℓᵣ, for the epoch's mean (metric.ts `addValues`). */
  readonly perSample?: Floats;
  /**
   * A fused loss's activation outputs f(logits) (the probabilities, which the metrics read),
   * [rows × units]; may be `predictions` itself, overwritten row by row. Other losses ignore it.
   */
  readonly activations?: Floats;
}

export interface Loss {
  readonly name: LossName;
  readonly targets: TargetLayout;
  /** Σᵣ weights[r]·ℓᵣ, writing what `output` asks for. Throws on buffers of the wrong shape. */
  evaluate(input: LossInput, output?: LossOutput): number;
}

/**
 * A cross-entropy with the last layer's activation folded in, as Keras effectively computes
 * it after a matching activation (`fusedLoss` in index.ts): `predictions` are the logits.
 */
export interface FusedLoss extends Loss {
  readonly activation: "softmax" | "sigmoid";
}

/**
 * One row's loss ℓᵣ, and when `gradient` is given, `weight`·∂ℓᵣ/∂predictions written to its row
 * `r` (the row starts at r·units in predictions and gradient; targets are read per layout); a
 * fused loss also writes its activation's outputs to `activations` when given.
 */
export type RowLoss = (
  predictions: Floats,
  targets: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
  activations?: Floats,
) => number;

/** A Loss summing `rowLoss` over the rows, weighted; shapes checked first. */
export function rowwiseLoss(name: LossName, targets: TargetLayout, rowLoss: RowLoss): Loss {
  return {
    name,
    targets,
    evaluate(input, output) {
      const rows = checkedRows(name, targets, input, output);
      return sumRows(rowLoss, input, rows, output ?? {});
    },
  };
}

/**
 * A Loss that is, per row, the mean over its units of `value(p, y)`, with the gradient
 * `derivative(p, y)` scaled by the row's weight over its units (mse, mae, huber).
 */
export function elementwiseLoss(
  name: LossName,
  value: (p: number, y: number) => number,
  derivative: (p: number, y: number) => number,
): Loss {
  return rowwiseLoss(name, "rows", (p, y, r, units, weight, gradient) => {
    const at = r * units;
    const scale = weight / units;
    let loss = 0;
    for (let k = at; k < at + units; k++) {
      loss += value(p[k], y[k]);
      if (gradient) gradient[k] = scale * derivative(p[k], y[k]);
    }
    return loss / units;
  });
}

function sumRows(
  rowLoss: RowLoss,
  input: LossInput,
  rows: number,
  { gradient, perSample, activations }: LossOutput,
): number {
  const { predictions, targets, units, weights } = input;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const weight = weights ? weights[r] : 1;
    // A padding row's gradient is 0 even where its loss is not finite (0·∞ would be NaN).
    const rowGradient = weight === 0 ? undefined : gradient;
    if (weight === 0 && gradient) gradient.fill(0, r * units, (r + 1) * units);
    const loss = rowLoss(predictions, targets, r, units, weight, rowGradient, activations);
    if (perSample) perSample[r] = loss;
    if (weight !== 0) sum += weight * loss;
  }
  return sum;
}

/** The sample count of `input`, after checking every buffer's length against it. */
export function checkedRows(
  name: string,
  layout: TargetLayout,
  input: LossInput,
  output?: LossOutput,
): number {
  const { predictions, targets, units, weights } = input;
  if (!Number.isInteger(units) || units < 1) {
    throw new Error(`${name}: units must be a positive integer, got ${units}`);
  }
  if (predictions.length % units !== 0) {
    throw new Error(
      `${name}: predictions have ${predictions.length} values, ` +
        `not a whole number of rows of ${units} units`,
    );
  }
  const rows = predictions.length / units;
  const grid = `${rows} rows × ${units} units`;
  if (layout === "rows")
    expectLength(name, "targets", targets, rows * units, `${grid}, like predictions`);
  else expectLength(name, "targets", targets, rows, `one class index for each of ${rows} rows`);
  if (weights) expectLength(name, "weights", weights, rows, `one per row of ${rows}`);
  if (output?.gradient) {
    expectLength(name, "gradient", output.gradient, rows * units, `${grid}, like predictions`);
    if (overlaps(output.gradient, predictions)) {
      throw new Error(`${name}: gradient must not share memory with predictions`);
    }
  }
  if (output?.perSample)
    expectLength(name, "perSample", output.perSample, rows, `one per row of ${rows}`);
  if (output?.activations) {
    expectLength(
      name,
      "activations",
      output.activations,
      rows * units,
      `${grid}, like predictions`,
    );
    if (output.gradient && overlaps(output.gradient, output.activations)) {
      throw new Error(`${name}: gradient must not share memory with activations`);
    }
    const inPlace =
      output.activations.buffer === predictions.buffer &&
      output.activations.byteOffset === predictions.byteOffset;
    if (!inPlace && overlaps(output.activations, predictions)) {
      throw new Error(`${name}: activations must be predictions itself or not share its memory`);
    }
  }
  return rows;
}

function expectLength(name: string, what: string, values: Floats, expected: number, shape: string) {
  if (values.length !== expected) {
    throw new Error(
      `${name}: ${what} have ${values.length} values, expected ${expected} (${shape})`,
    );
  }
}

function overlaps(a: Floats, b: Floats): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** The class index of row r of `targets`, checked: an integer in [0, units). */
export function classIndex(name: string, targets: Floats, r: number, units: number): number {
  const label = targets[r];
  if (!Number.isInteger(label) || label < 0 || label >= units) {
    throw new Error(
      `${name}: row ${r} has class index ${label}, expected an integer in [0, ${units - 1}]`,
    );
  }
  return label;
}
