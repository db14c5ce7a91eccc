import { elementwiseLoss, type Loss } from "./loss.ts";

/**
 * Keras's `mae` (mean_absolute_error): ℓ = mean over the row's units of |p − y|. The gradient
 * at p = y is 0, as TensorFlow's |x|′ = sign(x) gives it.
 */
export const meanAbsoluteError: Loss = elementwiseLoss(
  "mae",
  (p, y) => Math.abs(p - y),
  (p, y) => Math.sign(p - y),
);
