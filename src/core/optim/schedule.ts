import { show } from "../validate.ts";

/**
 * Keras's learning-rate schedules (`keras.optimizers.schedules.*`) as plain data, so they
 * cross into workers and checkpoints with the optimizer. The rate of update t (1-based) is
 * the schedule at Keras's `optimizer.iterations` = t − 1: a function of the global step count
 * the update already receives, so a resumed run continues on the same curve.
 */
export type LearningRateSchedule =
  | {
      /** initial · rate^(step / decaySteps), the exponent floored when `staircase`. */
      readonly type: "exponential";
      readonly decaySteps: number;
      readonly decayRate: number;
      readonly staircase: boolean;
    }
  | {
      /**
       * Linear warm-up from the initial rate to `warmupTarget` over `warmupSteps` (none when
       * warmupTarget is null), then from there cosine decay to `alpha` × that over `decaySteps`.
       */
      readonly type: "cosine";
      readonly decaySteps: number;
      readonly alpha: number;
      readonly warmupTarget: number | null;
      readonly warmupSteps: number;
    }
  | {
      /** values[i] while step ≤ boundaries[i] (and above the one before); the last after. */
      readonly type: "piecewise";
      readonly boundaries: readonly number[];
      readonly values: readonly number[];
    };

export type ScheduleName = LearningRateSchedule["type"];

/** The learning rate of the update after `iterations` updates (Keras's `schedule(step)`). */
export function learningRateAt(
  schedule: LearningRateSchedule,
  initial: number,
  iterations: number,
): number {
  switch (schedule.type) {
    case "exponential": {
      const p = iterations / schedule.decaySteps;
      return initial * schedule.decayRate ** (schedule.staircase ? Math.floor(p) : p);
    }
    case "cosine": {
      const { decaySteps, alpha, warmupTarget, warmupSteps } = schedule;
      const decay = (step: number, from: number) =>
        from * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * step) / decaySteps)) + alpha);
      if (warmupTarget === null) return decay(Math.min(iterations, decaySteps), initial);
      if (iterations < warmupSteps) {
        return initial + ((warmupTarget - initial) * iterations) / warmupSteps;
      }
      const step = Math.min(iterations, decaySteps + warmupSteps);
      return decay(step - warmupSteps, warmupTarget);
    }
    case "piecewise": {
      const i = schedule.boundaries.findIndex((boundary) => iterations <= boundary);
      return schedule.values[i === -1 ? schedule.boundaries.length : i];
    }
  }
}

/** A schedule a user wrote that is not one. */
export class ScheduleError extends RangeError {
  override name = "ScheduleError";
}

/** Each schedule's settings: Keras's snake_case name, the field, and the default (if any). */
const SETTINGS = {
  exponential: {
    decay_steps: { field: "decaySteps", rule: "positive" },
    decay_rate: { field: "decayRate", rule: "positive" },
    staircase: { field: "staircase", rule: "boolean", default: false },
  },
  cosine: {
    decay_steps: { field: "decaySteps", rule: "positive" },
    alpha: { field: "alpha", rule: "fraction", default: 0 },
    warmup_target: { field: "warmupTarget", rule: "positive", default: null },
    warmup_steps: { field: "warmupSteps", rule: "count", default: 0 },
  },
  piecewise: {
    boundaries: { field: "boundaries", rule: "counts" },
    values: { field: "values", rule: "positives" },
  },
} as const satisfies Record<
  ScheduleName,
  Record<string, { field: string; rule: Rule; default?: unknown }>
>;

type Rule = "positive" | "fraction" | "count" | "boolean" | "counts" | "positives";

const WHAT: Record<Rule, string> = {
  positive: "a positive number",
  fraction: "a number in [0, 1]",
  count: "an integer ≥ 0",
  boolean: "true or false",
  counts: "increasing integers ≥ 0, separated by /",
  positives: "positive numbers, separated by /",
};

const NAMES = Object.keys(SETTINGS) as ScheduleName[];

const isPositive = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x > 0;
const isCount = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
const OK: Record<Rule, (x: unknown) => boolean> = {
  positive: isPositive,
  fraction: (x) => typeof x === "number" && x >= 0 && x <= 1,
  count: isCount,
  boolean: (x) => typeof x === "boolean",
  counts: (x) => Array.isArray(x) && x.every(isCount) && x.every((b, i) => i === 0 || b > x[i - 1]),
  positives: (x) => Array.isArray(x) && x.length > 0 && x.every(isPositive),
};

/**
 * A checked schedule from an object with `type` and Keras's settings, by either their
 * camelCase field names (`decaySteps`) or Keras's snake_case ones (`decay_steps`); settings
 * with a default may be left out. Errors name the schedule and the setting.
 */
export function checkSchedule(input: unknown): LearningRateSchedule {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ScheduleError(`lrSchedule: expected an object {type, …}, got ${show(input)}`);
  }
  const { type, ...given } = input as Record<string, unknown>;
  if (!NAMES.includes(type as ScheduleName)) {
    throw new ScheduleError(
      `lrSchedule: expected a type of ${NAMES.map((n) => JSON.stringify(n)).join(", ")}, got ${show(type)}`,
    );
  }
  const settings: Record<string, { field: string; rule: Rule; default?: unknown }> =
    SETTINGS[type as ScheduleName];
  const byField = new Map(Object.entries(settings).map(([key, s]) => [s.field, key]));
  const out: Record<string, unknown> = { type };
  for (let [name, value] of Object.entries(given)) {
    const key = name in settings ? name : byField.get(name);
    if (key === undefined) {
      throw new ScheduleError(
        `${type}: unknown setting ${show(name)}; expected ${Object.keys(settings).join(", ")}`,
      );
    }
    const { field, rule } = settings[key];
    // A list of one, as the command line writes it.
    if ((rule === "counts" || rule === "positives") && typeof value === "number") value = [value];
    if (!OK[rule](value) && !(key === "warmup_target" && value === null)) {
      throw new ScheduleError(`${type}.${key}: expected ${WHAT[rule]}, got ${show(value)}`);
    }
    out[field] = value;
  }
  // In the settings' order, whatever the input's: a checkpoint compares schedules as JSON.
  const schedule: Record<string, unknown> = { type };
  for (const [key, { field, ...setting }] of Object.entries(settings)) {
    if (!(field in out) && !("default" in setting)) {
      throw new ScheduleError(`${type}: ${key} is required`);
    }
    schedule[field] = field in out ? out[field] : setting.default;
  }
  if (type === "piecewise") {
    const { boundaries, values } = schedule as { boundaries: number[]; values: number[] };
    if (values.length !== boundaries.length + 1) {
      throw new ScheduleError(
        `piecewise: expected one value more than boundaries, got ${boundaries.length} boundaries and ${values.length} values`,
      );
    }
  }
  return schedule as LearningRateSchedule;
}

/**
 * The command line's form: `NAME:key=value,key=value`, Keras's setting names, lists joined
 * by `/`, a bare key for true: `exponential:decay_steps=1000,decay_rate=0.9,staircase`,
 * `cosine:decay_steps=5000,warmup_target=0.002,warmup_steps=500`,
 * `piecewise:boundaries=1000/2000,values=0.001/0.0005/0.0001`.
 */
export function parseSchedule(text: string): LearningRateSchedule {
  const [type, rest = ""] = text.split(/:(.*)/s, 2);
  const given: Record<string, unknown> = { type };
  for (const part of rest.split(",").filter((p) => p.trim() !== "")) {
    const [key, value] = part.split("=", 2).map((s) => s.trim());
    given[key] = value === undefined ? true : parseValue(value);
  }
  return checkSchedule(given);
}

function parseValue(text: string): unknown {
  if (text === "true" || text === "false") return text === "true";
  if (text.includes("/")) return text.split("/").map(numberOf);
  return numberOf(text);
}

/** Text to number; what is not one becomes NaN, which the rules refuse. */
const numberOf = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));
