import {
  CLIP_HIGH,
  CLIP_LOW,
  clipProbability,
  type Floats,
  type Loss,
  rowwiseLoss,
} from "./loss.ts";

/**
 * Keras's `binary_crossentropy` on probabilities (a sigmoid output): each output clipped to
 * [ε, 1 − ε], ℓ = mean over the row's units of −[y·log p + (1 − y)·log(1 − p)] — one unit for
 * a two-class problem, one per label for a multi-label one. The gradient is 0 where the clip
 * is active. After a sigmoid layer use the fused form (sigmoid-crossentropy.ts) instead.
 */
export const binaryCrossentropy: Loss = rowwiseLoss("binary_crossentropy", "rows", binaryRow);

function binaryRow(
  p: Floats,
  y: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
): number {
  const at = r * units;
  let loss = 0;
  for (let k = at; k < at + units; k++) {
    const c = clipProbability(p[k]);
    loss -= y[k] * Math.log(c) + (1 - y[k]) * Math.log(1 - c);
  }
  if (gradient) binaryGradient(p, y, at, units, weight / units, gradient);
  return loss / units;
}

function binaryGradient(
  p: Floats,
  y: Floats,
  at: number,
  units: number,
  scale: number,
  gradient: Floats,
): void {
  for (let k = at; k < at + units; k++) {
    const inside = p[k] >= CLIP_LOW && p[k] <= CLIP_HIGH;
    gradient[k] = inside ? scale * ((1 - y[k]) / (1 - p[k]) - y[k] / p[k]) : 0;
  }
}
