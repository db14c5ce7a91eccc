import { type Floats, type Loss, rowwiseLoss } from "./loss.ts";

/**
 * Keras's `mae` (mean_absolute_error): ℓ = mean over the row's units of |p − y|. The gradient
 * at p = y is 0, as TensorFlow's |x|′ = sign(x) gives it.
 */
export const meanAbsoluteError: Loss = rowwiseLoss("mae", "rows", absoluteRow);

function absoluteRow(
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
    loss += Math.abs(error);
    if (gradient) gradient[k] = scale * Math.sign(error);
  }
  return loss / units;
}
