import type { OptimizerName, OptimizerSpec } from "../optim/optimizer.ts";
import type { LearningRateSchedule } from "../optim/schedule.ts";
import type { OptimizerChoice } from "../optim/spec.ts";
import { show } from "../validate.ts";
import { ModelFormatError } from "./topology.ts";

/**
 * A model file's training configuration: what Keras 2 and the tfjs converter write as
 * `training_config` (`{optimizer_config: {class_name, config}, loss, metrics}`), tfjs as
 * `trainingConfig`, Keras 3's `to_json()` as `compile_config` (`{optimizer, loss, metrics}`).
 * The optimizer comes back as an {@link OptimizerChoice} with Keras's settings, checked later
 * with the run's own settings over it.
 */
export interface TrainingSetup {
  readonly optimizer?: OptimizerChoice;
  readonly loss?: string;
  readonly metrics?: readonly string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Keras's, tfjs's and lower-case optimizer class names. */
const OPTIMIZERS: Record<string, OptimizerName> = {
  rmsprop: "rmsprop",
  adam: "adam",
  adamw: "adamw",
  sgd: "sgd",
  momentum: "sgd",
  adagrad: "adagrad",
};

/** Keras's (and tfjs's) setting names → the OptimizerSpec field. */
const SETTINGS: Record<string, string> = {
  learning_rate: "learningRate",
  lr: "learningRate",
  rho: "rho",
  beta_1: "beta1",
  beta1: "beta1",
  beta_2: "beta2",
  beta2: "beta2",
  epsilon: "epsilon",
  weight_decay: "weightDecay",
  momentum: "momentum",
  nesterov: "nesterov",
  use_nesterov: "nesterov",
  initial_accumulator_value: "initialAccumulatorValue",
};

/** Settings Keras writes that must hold these values for shardfit to train the same way. */
const NEUTRAL: Record<string, unknown> = {
  amsgrad: false,
  centered: false,
  use_ema: false,
  clipnorm: null,
  clipvalue: null,
  global_clipnorm: null,
  gradient_accumulation_steps: null,
  loss_scale_factor: null,
};
/** Bookkeeping only. */
const IGNORED = new Set(["name", "ema_momentum", "ema_overwrite_frequency", "jit_compile"]);

const SCHEDULES: Record<string, LearningRateSchedule["type"]> = {
  ExponentialDecay: "exponential",
  CosineDecay: "cosine",
  PiecewiseConstantDecay: "piecewise",
};

/** The training configuration of a model file (text or parsed), if it has one. */
export function readTrainingConfig(input: unknown, source: string): TrainingSetup | undefined {
  const fail = (message: string): never => {
    throw new ModelFormatError(source, message);
  };
  let root = input;
  if (typeof root === "string") {
    try {
      root = JSON.parse(root);
    } catch {
      return undefined; // parseTopology reports the JSON error
    }
  }
  if (!isObject(root)) return undefined;
  const topology = isObject(root.modelTopology) ? root.modelTopology : undefined;
  const [where, config] = (
    [
      ["trainingConfig", root.trainingConfig],
      ["modelTopology.training_config", topology?.training_config],
      ["training_config", root.training_config],
      ["compile_config", root.compile_config],
    ] as const
  ).find(([, c]) => isObject(c)) ?? ["", undefined];
  if (!isObject(config)) return undefined;
  const optimizer = config.optimizer_config ?? config.optimizer;
  const loss = config.loss;
  if (loss !== undefined && loss !== null && typeof loss !== "string") {
    fail(`${where}.loss: expected a loss name, got ${show(loss)}`);
  }
  const metrics = config.metrics;
  const metricNames = Array.isArray(metrics) && metrics.every((m) => typeof m === "string");
  if (metrics !== undefined && metrics !== null && !metricNames) {
    fail(`${where}.metrics: expected a list of metric names, got ${show(metrics)}`);
  }
  return {
    ...(optimizer != null
      ? { optimizer: readOptimizer(optimizer, `${where}.optimizer`, fail) }
      : {}),
    ...(typeof loss === "string" ? { loss } : {}),
    ...(metricNames ? { metrics: metrics as string[] } : {}),
  };
}

function readOptimizer(value: unknown, where: string, fail: (m: string) => never): OptimizerChoice {
  const cls = typeof value === "string" ? value : isObject(value) ? value.class_name : undefined;
  const type = typeof cls === "string" ? OPTIMIZERS[cls.toLowerCase()] : undefined;
  if (!type) {
    return fail(
      `${where}: expected one of RMSprop, Adam, AdamW, SGD, Adagrad, got ${show(cls ?? value)}`,
    );
  }
  const config = isObject(value) && isObject(value.config) ? value.config : {};
  const out: Record<string, unknown> = { type };
  for (const [key, setting] of Object.entries(config)) {
    if (IGNORED.has(key) || setting === null) continue;
    // tfjs's RMSProp calls ρ "decay"; Keras 2's "decay" is a time decay, shardfit has none.
    if (key === "decay" && cls === "RMSProp") out.rho = setting;
    else if (key === "decay" && setting === 0) continue;
    else if (key in NEUTRAL) {
      if (setting !== NEUTRAL[key]) {
        fail(
          `${where}.${key}: expected ${show(NEUTRAL[key])} (the only one supported), got ${show(setting)}`,
        );
      }
    } else if (type === "rmsprop" && key === "momentum") {
      if (setting !== 0)
        fail(`${where}.momentum: expected 0 (RMSprop without momentum), got ${show(setting)}`);
    } else if (key === "learning_rate" && isObject(setting)) {
      Object.assign(out, readSchedule(setting, `${where}.learning_rate`, fail));
    } else if (key in SETTINGS) out[SETTINGS[key]] = setting;
    else fail(`${where}: unknown setting ${show(key)}`);
  }
  return out as OptimizerChoice;
}

/** A Keras schedule object as the learning rate: its initial rate and the schedule. */
function readSchedule(value: Json, where: string, fail: (m: string) => never) {
  const type = typeof value.class_name === "string" ? SCHEDULES[value.class_name] : undefined;
  if (!type) {
    return fail(
      `${where}: expected one of ${Object.keys(SCHEDULES).join(", ")}, got ${show(value.class_name)}`,
    );
  }
  const {
    name: _,
    initial_learning_rate,
    ...settings
  } = isObject(value.config) ? value.config : {};
  const values = settings.values;
  const learningRate =
    type === "piecewise" && Array.isArray(values) ? values[0] : initial_learning_rate;
  return { learningRate, schedule: { type, ...settings } };
}

const CLASS_NAMES: Record<OptimizerName, string> = {
  rmsprop: "RMSprop",
  adam: "Adam",
  adamw: "AdamW",
  sgd: "SGD",
  adagrad: "Adagrad",
};

/** The spec's fields by Keras's names (the first Keras name of each field). */
const KERAS_NAMES = Object.fromEntries(
  Object.entries(SETTINGS)
    .filter(([key]) => !["lr", "beta1", "beta2", "use_nesterov"].includes(key))
    .map(([key, field]) => [field, key]),
);

const SCHEDULE_CLASSES = Object.fromEntries(
  Object.entries(SCHEDULES).map(([cls, type]) => [type, cls]),
);

/**
 * The `training_config` a saved model carries (Keras 2's form, Keras's names): what the run
 * used. A schedule is written as Keras serializes one, the learning rate its initial rate.
 */
export function trainingConfigJson(setup: {
  optimizer: OptimizerSpec;
  loss: string;
  metrics: readonly string[];
}): Json {
  const { type, schedule, ...settings } = setup.optimizer;
  const config: Json = Object.fromEntries(
    Object.entries(settings).map(([field, value]) => [KERAS_NAMES[field], value]),
  );
  if (schedule) {
    const { type: kind, ...rest } = schedule;
    const snake = Object.fromEntries(
      Object.entries(rest).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
    );
    config.learning_rate = {
      class_name: SCHEDULE_CLASSES[kind],
      config:
        kind === "piecewise" ? snake : { initial_learning_rate: settings.learningRate, ...snake },
    };
  }
  return {
    optimizer_config: { class_name: CLASS_NAMES[type], config },
    loss: setup.loss,
    metrics: [...setup.metrics],
  };
}
