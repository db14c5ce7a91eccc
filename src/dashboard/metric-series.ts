/**
 * An epoch's metrics as named train/test pairs, whatever the run compiled: Keras's names
 * (`loss`, `accuracy`, `mae`, … with the test side as `val_mae` or in a `test` object) and
 * shardfit's older `trainLoss`/`testAccuracy` alike, so the curves, the epochs table and the
 * timeline show the metrics the run has rather than a fixed pair.
 */
export interface MetricPair {
  readonly name: string;
  readonly train?: number;
  readonly test?: number;
}

/** Not metrics: bookkeeping an epoch record also carries. */
const NOT_METRICS = new Set(["epoch", "trainSeconds", "liveTensors", "seconds", "lr"]);

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

export function metricPairs(metrics: object): MetricPair[] {
  const pairs = new Map<string, { train?: number; test?: number }>();
  const set = (name: string, side: "train" | "test", value: unknown) => {
    if (typeof value !== "number" || !Number.isFinite(value)) return;
    pairs.set(name, { ...pairs.get(name), [side]: value });
  };
  for (const [key, value] of Object.entries(metrics)) {
    if (NOT_METRICS.has(key)) continue;
    if (key === "test" && typeof value === "object" && value !== null) {
      for (const [name, v] of Object.entries(value)) set(name, "test", v);
    } else if (key.startsWith("val_")) set(key.slice(4), "test", value);
    else if (/^test[A-Z]/.test(key)) set(lowerFirst(key.slice(4)), "test", value);
    else if (/^train[A-Z]/.test(key)) set(lowerFirst(key.slice(5)), "train", value);
    else set(key, "train", value);
  }
  const list = [...pairs].map(([name, values]) => ({ name, ...values }));
  // The loss first, as Keras's history lists it.
  return [...list.filter((p) => p.name === "loss"), ...list.filter((p) => p.name !== "loss")];
}

/** Whether a metric is a fraction shown as a percentage (accuracy and its variants). */
export const isFraction = (name: string): boolean => /acc(uracy)?$/i.test(name);

/** A metric's value as the dashboard writes it: a percentage or four decimals. */
export function formatMetric(name: string, value: number | undefined): string {
  if (value === undefined) return "–";
  return isFraction(name) ? `${(value * 100).toFixed(2)}%` : value.toFixed(4);
}
