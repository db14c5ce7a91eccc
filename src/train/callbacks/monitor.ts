/**
 * What Keras's callbacks share: the logs of an epoch (Keras's names: `loss`, `accuracy`,
 * `val_loss`, `val_accuracy`, …) and which way a monitored quantity improves.
 */

/** One epoch's results by Keras's names. */
export type EpochLogs = Readonly<Record<string, number>>;

export type MonitorMode = "min" | "max";

/** Keras's `mode="auto"`: accuracies (and AUC) improve upwards, everything else downwards. */
export function monitorMode(monitor: string): MonitorMode {
  return /acc|auc/.test(monitor) ? "max" : "min";
}

/**
 * Whether `current` beats `best` by more than `minDelta` (Keras's `_is_improvement`); a first
 * value (best null) always does, a NaN never does.
 */
export function isImprovement(
  mode: MonitorMode,
  current: number,
  best: number | null,
  minDelta = 0,
): boolean {
  if (Number.isNaN(current)) return false;
  if (best === null) return true;
  return mode === "min" ? current + minDelta < best : current - minDelta > best;
}

/** The monitored value of `logs`; a name the logs lack is an error naming what they have. */
export function monitored(logs: EpochLogs, monitor: string, who: string): number {
  const value = logs[monitor];
  if (value === undefined) {
    throw new RangeError(
      `${who}: monitors ${monitor}, which the epoch's logs lack (they have ${Object.keys(logs).join(", ")})`,
    );
  }
  return value;
}
