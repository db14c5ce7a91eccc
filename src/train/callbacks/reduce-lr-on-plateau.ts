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

/** Settings by Keras's names (as `--reduce-lr-on-plateau` writes them) or camelCase. */
const SETTINGS = {
  factor: "factor",
  patience: "patience",
  min_delta: "minDelta",
  minDelta: "minDelta",
  cooldown: "cooldown",
  min_lr: "minLr",
  minLr: "minLr",
} as const;

const RULES: Record<keyof typeof KERAS_REDUCE_LR_ON_PLATEAU, [string, (x: number) => boolean]> = {
  factor: ["a number in (0, 1)", (x) => x > 0 && x < 1],
  patience: ["an integer ≥ 0", (x) => Number.isInteger(x) && x >= 0],
  minDelta: ["a number ≥ 0", (x) => x >= 0 && Number.isFinite(x)],
  cooldown: ["an integer ≥ 0", (x) => Number.isInteger(x) && x >= 0],
  minLr: ["a number ≥ 0", (x) => x >= 0 && Number.isFinite(x)],
};

/**
 * The options from `key=value,…` text (`factor=0.5,patience=3`; empty: Keras's defaults) or an
 * object; a bad setting is a RangeError naming it.
 */
export function reduceLrOptions(
  given: string | Readonly<Record<string, unknown>>,
  monitor: string,
): ReduceLrOnPlateauOptions {
  const entries: [string, unknown][] =
    typeof given === "string"
      ? given
          .split(",")
          .filter((part) => part.trim() !== "")
          .map((part) => {
            const [key, value = ""] = part.split("=", 2).map((s) => s.trim());
            return [key, value === "" ? Number.NaN : Number(value)];
          })
      : Object.entries(given);
  const options: Record<string, unknown> = { ...KERAS_REDUCE_LR_ON_PLATEAU, monitor };
  for (const [key, value] of entries) {
    const field = SETTINGS[key as keyof typeof SETTINGS];
    if (!field) {
      throw new RangeError(
        `unknown setting "${key}"; expected factor, patience, min_delta, cooldown, min_lr`,
      );
    }
    const [what, ok] = RULES[field];
    if (typeof value !== "number" || !ok(value)) {
      throw new RangeError(`${key}: expected ${what}, got ${String(value)}`);
    }
    options[field] = value;
  }
  return options as unknown as ReduceLrOnPlateauOptions;
}
