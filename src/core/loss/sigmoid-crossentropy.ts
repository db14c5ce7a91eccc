import { logistic } from "../model/activations.ts";
import { type Floats, type FusedLoss, rowwiseLoss } from "./loss.ts";

/**
 * Sigmoid + binary cross-entropy from logits z, as TensorFlow's
 * sigmoid_cross_entropy_with_logits computes it without overflow: per unit
 * max(z, 0) − z·y + log(1 + e^−|z|), ℓ the mean over the row's units, ∂ℓ/∂z = (σ(z) − y)/units.
 * This is what Keras trains after a sigmoid layer: no clip, so it agrees with the probability
 * form (binary-crossentropy.ts) wherever σ(z) stays inside [ε, 1 − ε].
 */
export const sigmoidBinaryCrossentropy: FusedLoss = {
  ...rowwiseLoss("binary_crossentropy", "rows", sigmoidRow),
  activation: "sigmoid",
};

function sigmoidRow(
  z: Floats,
  y: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
  activations: Floats | undefined,
): number {
  const at = r * units;
  const scale = weight / units;
  let loss = 0;
  for (let k = at; k < at + units; k++) {
    const logit = z[k];
    loss += Math.max(logit, 0) - logit * y[k] + Math.log1p(Math.exp(-Math.abs(logit)));
    const p = logistic(logit);
    if (gradient) gradient[k] = scale * (p - y[k]);
    if (activations) activations[k] = p;
  }
  return loss / units;
}
