import { type Floats, type Loss, rowwiseLoss } from "./loss.ts";

/** Keras's `mse` (mean_squared_error): ℓ = mean over the row's units of (p − y)². */
export const meanSquaredError: Loss = rowwiseLoss("mse", "rows", squaredRow);

function squaredRow(
  p: Floats,
  y: Floats,
  r: number,
  units: number,
  weight: number,
  gradient: Floats | undefined,
): number {
  const at = r * units;
  const scale = (2 * weight) / units;
  let loss = 0;
  for (let k = at; k < at + units; k++) {
    const error = p[k] - y[k];
    loss += error * error;
    if (gradient) gradient[k] = scale * error;
  }
  return loss / units;
}
