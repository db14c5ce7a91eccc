import {
  CLIP_HIGH,
  CLIP_LOW,
  clipProbability,
  type Floats,
  type Loss,
  rowwiseLoss,
} from "./loss.ts";

/**
 * Keras's `categorical_crossentropy` on probabilities (from_logits=False): each row is first
 * rescaled to sum to 1 (q = p / Σp), clipped to [ε, 1 − ε], and ℓ = −Σₖ yₖ·log(clip(qₖ)).
 * The gradient goes through the rescaling and is 0 where the clip is active, as Keras's
 * autodiff gives it. After a softmax layer use the fused form (softmax-crossentropy.ts) instead.
 */
export const categoricalCrossentropy: Loss = rowwiseLoss(
  "categorical_crossentropy",
  "rows",
  categoricalRow,
);

function categoricalRow(
  p: Floats,
  y: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
): number {
  const at = r * units;
  const sum = rowSum(p, at, units);
  let loss = 0;
  for (let k = at; k < at + units; k++) {
    if (y[k] !== 0) loss -= y[k] * Math.log(clipProbability(p[k] / sum));
  }
  if (gradient) rescaledGradient(p, y, at, units, sum, weight, gradient);
  return loss;
}

/**
 * With gₖ = ∂ℓ/∂qₖ (−yₖ/qₖ inside the clip, else 0) and qₖ = pₖ/S:
 * ∂ℓ/∂pⱼ = (gⱼ − Σₖ gₖ·qₖ) / S.
 */
function rescaledGradient(
  p: Floats,
  y: Floats,
  at: number,
  units: number,
  sum: number,
  weight: number,
  gradient: Floats,
): void {
  let dot = 0;
  for (let k = at; k < at + units; k++) {
    const q = p[k] / sum;
    const g = q >= CLIP_LOW && q <= CLIP_HIGH ? -y[k] / q : 0;
    dot += g * q;
    gradient[k] = g;
  }
  for (let k = at; k < at + units; k++) gradient[k] = (weight * (gradient[k] - dot)) / sum;
}

function rowSum(p: Floats, at: number, units: number): number {
  let sum = 0;
  for (let k = at; k < at + units; k++) sum += p[k];
  return sum;
}
