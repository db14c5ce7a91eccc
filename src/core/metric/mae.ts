import { meanAbsoluteError } from "../loss/mae.ts";
import type { MetricFunction } from "./metric.ts";

/** Keras's mae metric: the mae loss's per-sample value, mean |p − y| over the row. */
export const maeMetric: MetricFunction = {
  name: "mean_absolute_error",
  targets: "rows",
  perSample({ predictions, targets, units }, values) {
    meanAbsoluteError.evaluate({ predictions, targets, units }, { perSample: values });
  },
};
