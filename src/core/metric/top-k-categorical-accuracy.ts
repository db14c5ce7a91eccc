import { rowArgmax } from "./argmax.ts";
import type { MetricFunction } from "./metric.ts";
import { inTopK, TOP_K } from "./top-k.ts";

/** Keras's top_k_categorical_accuracy (k = 5): 1 where argmax(targets) is in the top k. */
export const topKCategoricalAccuracy: MetricFunction = {
  name: "top_k_categorical_accuracy",
  targets: "rows",
  perSample({ predictions, targets, units }, values) {
    for (let r = 0; r < values.length; r++) {
      const at = r * units;
      values[r] = inTopK(predictions, at, units, rowArgmax(targets, at, units), TOP_K) ? 1 : 0;
    }
  },
};
