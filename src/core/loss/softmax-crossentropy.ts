import { rowMax, shiftedExpSum, writeSoftmax } from "../model/activations.ts";
import { classIndex, type Floats, type FusedLoss, rowwiseLoss } from "./loss.ts";

/*
 * Softmax + categorical cross-entropy from logits z: ℓ = −Σₖ yₖ·log softmax(z)ₖ, and
 * ∂ℓ/∂zₖ = pₖ·Σⱼyⱼ − yₖ (= p − y for a one-hot or probability row). This is what Keras trains
 * after a softmax layer (the TensorFlow backend recovers the logits and calls
 * softmax_cross_entropy_with_logits): no clip, so the loss agrees with the probability form
 * (categorical-crossentropy.ts) wherever no probability falls below ε = 1e-7, and the
 * gradient never vanishes on a confidently wrong sample.
 */

export const softmaxCategoricalCrossentropy: FusedLoss = {
  ...rowwiseLoss("categorical_crossentropy", "rows", softmaxCategoricalRow),
  activation: "softmax",
};

/** The same with class-index targets: ℓ = −log softmax(z)_label, ∂ℓ/∂z = p − onehot(label). */
export const softmaxSparseCategoricalCrossentropy: FusedLoss = {
  ...rowwiseLoss("sparse_categorical_crossentropy", "class-indices", softmaxSparseRow),
  activation: "softmax",
};

function softmaxCategoricalRow(
  z: Floats,
  y: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
  activations: Floats | undefined,
): number {
  const at = r * units;
  const max = rowMax(z, at, units);
  const sum = shiftedExpSum(z, at, units, max);
  const logSum = Math.log(sum);
  // log softmax(z)ₖ = (zₖ − max) − log Σ e^(zⱼ − max), read before `activations` may overwrite z.
  let loss = 0;
  let mass = 0;
  for (let k = at; k < at + units; k++) {
    if (y[k] !== 0) loss -= y[k] * (z[k] - max - logSum);
    mass += y[k];
  }
  const probabilities = activations ?? gradient;
  if (probabilities) writeSoftmax(z, probabilities, at, units, max, sum);
  if (gradient && probabilities) {
    weightedDifference(probabilities, y, at, units, weight * mass, weight, gradient);
  }
  return loss;
}

function softmaxSparseRow(
  z: Floats,
  labels: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
  activations: Floats | undefined,
): number {
  const label = classIndex("sparse_categorical_crossentropy", labels, r, units);
  const at = r * units;
  const max = rowMax(z, at, units);
  const sum = shiftedExpSum(z, at, units, max);
  const loss = Math.log(sum) - (z[at + label] - max);
  const probabilities = activations ?? gradient;
  if (probabilities) writeSoftmax(z, probabilities, at, units, max, sum);
  if (gradient && probabilities) {
    scaledInto(probabilities, at, units, weight, gradient);
    gradient[at + label] -= weight;
  }
  return loss;
}

/** gradient = massWeight·p − weight·y over one row; `p` may be `gradient`. */
function weightedDifference(
  p: Floats,
  y: Floats,
  at: number,
  units: number,
  massWeight: number,
  weight: number,
  gradient: Floats,
): void {
  for (let k = at; k < at + units; k++) gradient[k] = massWeight * p[k] - weight * y[k];
}

/** out = factor·values over one row; `values` may be `out`. */
function scaledInto(values: Floats, at: number, units: number, factor: number, out: Floats): void {
  for (let k = at; k < at + units; k++) out[k] = factor * values[k];
}
