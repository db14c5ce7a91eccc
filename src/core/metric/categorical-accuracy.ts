import { rowArgmax } from "./argmax.ts";
import type { MetricFunction } from "./metric.ts";

/** Keras's categorical_accuracy: 1 where argmax(targets) = argmax(predictions), else 0. */
export const categoricalAccuracy: MetricFunction = {
  name: "categorical_accuracy",
  targets: "rows",
  perSample({ predictions, targets, units }, values) {
    for (let r = 0; r < values.length; r++) {
      const at = r * units;
      values[r] = rowArgmax(targets, at, units) === rowArgmax(predictions, at, units) ? 1 : 0;
    }
  },
};
