import { classIndex } from "../loss/loss.ts";
import type { MetricFunction } from "./metric.ts";
import { inTopK, TOP_K } from "./top-k.ts";

/** Keras's sparse_top_k_categorical_accuracy (k = 5): 1 where the class index is in the top k. */
export const sparseTopKCategoricalAccuracy: MetricFunction = {
  name: "sparse_top_k_categorical_accuracy",
  targets: "class-indices",
  perSample({ predictions, targets, units }, values) {
    for (let r = 0; r < values.length; r++) {
      const label = classIndex(sparseTopKCategoricalAccuracy.name, targets, r, units);
      values[r] = inTopK(predictions, r * units, units, label, TOP_K) ? 1 : 0;
    }
  },
};
