import type { Floats } from "../loss/loss.ts";

/** The index within its row of the row's first maximum (as argmax breaks ties), NaN-blind. */
export function rowArgmax(values: Floats, at: number, units: number): number {
  let best = at;
  for (let k = at + 1; k < at + units; k++) if (values[k] > values[best]) best = k;
  return best - at;
}
