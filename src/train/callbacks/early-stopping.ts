import { type EpochLogs, isImprovement, monitored, monitorMode } from "./monitor.ts";

/** Keras's `EarlyStopping(monitor, min_delta, patience, restore_best_weights)`. */
export interface EarlyStoppingOptions {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
}

/** What carries over a resume: everything `onEpochEnd` reads. */
export interface EarlyStoppingState {
  /** Epochs since the last improvement. */
  readonly wait: number;
  /** The best monitored value so far (null before the first epoch). */
  readonly best: number | null;
  /** Its epoch, 0-based as Keras counts (null before the first). */
  readonly bestEpoch: number | null;
}

export interface EarlyStoppingDecision {
  /** This epoch is the best so far: keep its weights (with restoreBestWeights). */
  readonly improved: boolean;
  /** Stop training after this epoch. */
  readonly stop: boolean;
}

export const EARLY_STOPPING_START: EarlyStoppingState = { wait: 0, best: null, bestEpoch: null };

/**
 * Keras 3's `on_epoch_end`: wait += 1; an improvement (by more than min_delta) resets it and
 * becomes the best; otherwise stop once wait ≥ patience (never after the first epoch).
 * Pure: returns the decision and the next state.
 */
export function earlyStoppingStep(
  options: EarlyStoppingOptions,
  state: EarlyStoppingState,
  epoch: number,
  logs: EpochLogs,
): { decision: EarlyStoppingDecision; state: EarlyStoppingState } {
  const current = monitored(logs, options.monitor, "early stopping");
  const mode = monitorMode(options.monitor);
  if (isImprovement(mode, current, state.best, options.minDelta)) {
    return {
      decision: { improved: true, stop: false },
      state: { wait: 0, best: current, bestEpoch: epoch },
    };
  }
  const wait = state.wait + 1;
  return {
    decision: { improved: false, stop: wait >= options.patience && epoch > 0 },
    state: { ...state, wait },
  };
}
