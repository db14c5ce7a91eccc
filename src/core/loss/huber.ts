import { type Floats, type Loss, rowwiseLoss } from "./loss.ts";

/** Keras's default `delta` of the Huber loss. */
export const HUBER_DELTA = 1;

/**
 * Keras's `huber` with delta 1: for e = p − y, ½e² where |e| ≤ δ, else δ·|e| − ½δ²; ℓ is the
 * mean over the row's units. Its gradient is e clamped to [−δ, δ].
 */
export const huber: Loss = rowwiseLoss("huber", "rows", huberRow);

function huberRow(
  p: Floats,
  y: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
): number {
  const at = r * units;
  const scale = weight / units;
  let loss = 0;
  for (let k = at; k < at + units; k++) {
    const error = p[k] - y[k];
    const size = Math.abs(error);
    const quadratic = size <= HUBER_DELTA;
    loss += quadratic ? 0.5 * error * error : HUBER_DELTA * size - 0.5 * HUBER_DELTA * HUBER_DELTA;
    if (gradient) gradient[k] = scale * (quadratic ? error : HUBER_DELTA * Math.sign(error));
  }
  return loss / units;
}
