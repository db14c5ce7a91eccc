import { type EpochLogs, isImprovement, monitored, monitorMode } from "./monitor.ts";

/** Keras's `ReduceLROnPlateau(monitor, factor, patience, min_delta, cooldown, min_lr)`. */
export interface ReduceLrOnPlateauOptions {
  readonly monitor: string;
  /** In (0, 1): the learning rate is multiplied by it. */
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
}

/** Keras's defaults (monitor as the run chooses). */
export const KERAS_REDUCE_LR_ON_PLATEAU: Omit<ReduceLrOnPlateauOptions, "monitor"> = {
  factor: 0.1,
  patience: 10,
  minDelta: 1e-4,
  cooldown: 0,
  minLr: 0,
};

/** What carries over a resume: the current learning rate and the counters. */
export interface ReduceLrOnPlateauState {
  readonly learningRate: number;
  readonly wait: number;
  readonly best: number | null;
  readonly cooldownLeft: number;
}

export function reduceLrStart(learningRate: number): ReduceLrOnPlateauState {
  return { learningRate, wait: 0, best: null, cooldownLeft: 0 };
}

/**
 * Keras's `on_epoch_end`: in cooldown the counter runs down and wait restarts; an improvement
 * by more than min_delta becomes the best; otherwise, out of cooldown, after `patience` epochs
 * without one the rate is multiplied by `factor` (not below min_lr) and cooldown starts. Pure.
 */
export function reduceLrStep(
  options: ReduceLrOnPlateauOptions,
  state: ReduceLrOnPlateauState,
  logs: EpochLogs,
): ReduceLrOnPlateauState {
  const current = monitored(logs, options.monitor, "reduce on plateau");
  // Keras counts the cooldown down first, then asks again whether it is in cooldown.
  const wasInCooldown = state.cooldownLeft > 0;
  const cooldownLeft = wasInCooldown ? state.cooldownLeft - 1 : 0;
  const wait = wasInCooldown ? 0 : state.wait;
  if (isImprovement(monitorMode(options.monitor), current, state.best, options.minDelta)) {
    return { ...state, best: current, wait: 0, cooldownLeft };
  }
  if (cooldownLeft > 0) return { ...state, wait, cooldownLeft };
  if (wait + 1 < options.patience || state.learningRate <= Math.fround(options.minLr)) {
    return { ...state, wait: wait + 1, cooldownLeft };
  }
  return {
    ...state,
    learningRate: Math.max(state.learningRate * options.factor, options.minLr),
    wait: 0,
    cooldownLeft: options.cooldown,
  };
}
