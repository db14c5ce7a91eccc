import type { Floats } from "../loss/loss.ts";

/** Keras's default k of the top-k accuracies. */
export const TOP_K = 5;

/**
 * Whether the class at `label` ranks within the top `k` of its row, as Keras's in_top_k ranks:
 * 1 + the number of strictly larger predictions, so ties at the boundary count as in; a NaN
 * prediction at the label counts as −∞.
 */
export function inTopK(p: Floats, at: number, units: number, label: number, k: number): boolean {
  const own = Number.isNaN(p[at + label]) ? Number.NEGATIVE_INFINITY : p[at + label];
  let larger = 0;
  for (let j = at; j < at + units; j++) if (p[j] > own) larger++;
  return larger + 1 <= k;
}
