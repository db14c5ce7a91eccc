import { elementwiseLoss, type Loss } from "./loss.ts";

/** Keras's default `delta` of the Huber loss. */
export const HUBER_DELTA = 1;

/**
 * Keras's `huber` with delta 1: for e = p − y, ½e² where |e| ≤ δ, else δ·|e| − ½δ²; ℓ is the
 * mean over the row's units. Its gradient is e clamped to [−δ, δ].
 */
export const huber: Loss = elementwiseLoss(
  "huber",
  (p, y) => {
    const size = Math.abs(p - y);
    return size <= HUBER_DELTA ? 0.5 * size * size : HUBER_DELTA * size - 0.5 * HUBER_DELTA ** 2;
  },
  (p, y) => Math.max(-HUBER_DELTA, Math.min(HUBER_DELTA, p - y)),
);
