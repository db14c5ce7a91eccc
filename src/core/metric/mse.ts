import { meanSquaredError } from "../loss/mse.ts";
import type { MetricFunction } from "./metric.ts";

/** Keras's mse metric: the mse loss's per-sample value, mean (p − y)² over the row. */
export const mseMetric: MetricFunction = {
  name: "mean_squared_error",
  targets: "rows",
  perSample({ predictions, targets, units }, values) {
    meanSquaredError.evaluate({ predictions, targets, units }, { perSample: values });
  },
};
