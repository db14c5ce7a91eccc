import { classIndex } from "../loss/loss.ts";
import { rowArgmax } from "./argmax.ts";
import type { MetricFunction } from "./metric.ts";

/** Keras's sparse_categorical_accuracy: 1 where the class index = argmax(predictions), else 0. */
export const sparseCategoricalAccuracy: MetricFunction = {
  name: "sparse_categorical_accuracy",
  targets: "class-indices",
  perSample({ predictions, targets, units }, values) {
    for (let r = 0; r < values.length; r++) {
      const label = classIndex(sparseCategoricalAccuracy.name, targets, r, units);
      values[r] = label === rowArgmax(predictions, r * units, units) ? 1 : 0;
    }
  },
};
