import type { Floats } from "../loss/loss.ts";
import type { MetricFunction } from "./metric.ts";

/** Keras's default threshold of binary_accuracy. */
export const BINARY_THRESHOLD = 0.5;

/**
 * Keras's binary_accuracy: each output counts as 1 when above 0.5 (strictly), else 0; a
 * sample's value is the fraction of its outputs equal to their targets.
 */
export const binaryAccuracy: MetricFunction = {
  name: "binary_accuracy",
  targets: "rows",
  perSample({ predictions, targets, units }, values) {
    for (let r = 0; r < values.length; r++) {
      values[r] = rowMatches(predictions, targets, r * units, units) / units;
    }
  },
};

function rowMatches(p: Floats, y: Floats, at: number, units: number): number {
  let matches = 0;
  for (let k = at; k < at + units; k++) {
    if (y[k] === (p[k] > BINARY_THRESHOLD ? 1 : 0)) matches++;
  }
  return matches;
}
