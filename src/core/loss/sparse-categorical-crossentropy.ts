import {
  CLIP_HIGH,
  CLIP_LOW,
  classIndex,
  clipProbability,
  type Floats,
  type Loss,
  rowwiseLoss,
} from "./loss.ts";

/**
 * Keras's `sparse_categorical_crossentropy` on probabilities: targets are class indices and
 * the loss is categorical_crossentropy against their one-hot rows, as Keras 3's numpy and JAX
 * backends compute it (rescale the row to sum 1, clip q to [ε, 1 − ε], ℓ = −log q_label). Its
 * TensorFlow backend clips before rescaling, which differs only where the clip acts. An index
 * that is not an integer in [0, units) throws. After a softmax layer use the fused form
 * (softmax-crossentropy.ts) instead.
 */
export const sparseCategoricalCrossentropy: Loss = rowwiseLoss(
  "sparse_categorical_crossentropy",
  "class-indices",
  sparseRow,
);

function sparseRow(
  p: Floats,
  labels: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
): number {
  const label = classIndex("sparse_categorical_crossentropy", labels, r, units);
  const at = r * units;
  let sum = 0;
  for (let k = at; k < at + units; k++) sum += p[k];
  const q = p[at + label] / sum;
  if (gradient) {
    // ∂ℓ/∂pⱼ = (1 − [j = label]/q) / S inside the clip, 0 where it is active.
    const inside = q >= CLIP_LOW && q <= CLIP_HIGH;
    fillRow(gradient, at, units, inside ? weight / sum : 0);
    if (inside) gradient[at + label] -= weight / (q * sum);
  }
  return -Math.log(clipProbability(q));
}

function fillRow(gradient: Floats, at: number, units: number, value: number): void {
  for (let k = at; k < at + units; k++) gradient[k] = value;
}
