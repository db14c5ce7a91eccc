import { elementwiseLoss, type Loss } from "./loss.ts";

/** Keras's `mse` (mean_squared_error): ℓ = mean over the row's units of (p − y)². */
export const meanSquaredError: Loss = elementwiseLoss(
  "mse",
  (p, y) => (p - y) * (p - y),
  (p, y) => 2 * (p - y),
);
