import { type ArrayDataset, validateArrayDataset } from "../core/data/arrays.ts";
import type { Dataset } from "../core/data/dataset.ts";
import { parseTopology } from "../core/format/topology.ts";
import { readTrainingConfig, type TrainingSetup } from "../core/format/training-config.ts";
import { lossByName } from "../core/loss/index.ts";
import type { LossName } from "../core/loss/loss.ts";
import { CONVNET_SPEC, DEFAULT_HIDDEN } from "../core/model/presets.ts";
import { type ModelSpec, modelLayout } from "../core/model/sequential.ts";
import type { OptimizerSpec } from "../core/optim/optimizer.ts";
import {
  checkSchedule,
  type LearningRateSchedule,
  parseSchedule,
  ScheduleError,
} from "../core/optim/schedule.ts";
import { type OptimizerOptions, OptimizerSpecError, resolveOptimizer } from "../core/optim/spec.ts";
import { show } from "../core/validate.ts";
import type { CallbackConfig } from "./callbacks/index.ts";
import { reduceLrOptions } from "./callbacks/reduce-lr-on-plateau.ts";
import type { DashboardServerOptions, RemoteOptions, TrainOptions } from "./types.ts";

export const DEFAULTS = {
  epochs: 5,
  batchSize: 128,
  /** The global batch of every model but the MLP (the convnet's, as in the book). */
  otherModelsBatchSize: 64,
  optimizer: "rmsprop",
  seed: 1,
  hidden: DEFAULT_HIDDEN,
  out: "models/mnist",
  stepTimeoutMs: 30_000,
} as const;

/** The bounds of the rules below, for help texts. */
export const LIMITS = {
  workers: 64,
  epochs: 10_000,
  batchSize: 1 << 16,
  hiddenUnits: 1 << 14,
  metrics: 16,
} as const;

/** Every setting of a run, resolved and checked. */
export interface TrainConfig {
  readonly workers: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  /** The optimizer settings the caller gave, over which a model file's own are read. */
  readonly optimizerOptions: OptimizerOptions;
  readonly seed: number;
  readonly hidden: readonly number[];
  readonly model: ModelChoice;
  readonly dataDir?: string;
  readonly dataset?: Dataset;
  /** Arrays to train on (checked), instead of images. */
  readonly arrays?: ArrayDataset;
  /** The loss the user named; undefined: the data decides (train/model-spec.ts). */
  readonly loss?: LossName;
  /** The metric names the user gave (checked against the loss when the run has its data). */
  readonly metrics?: readonly string[];
  readonly trainLimit: number;
  readonly testLimit: number;
  /** The last fraction of the training samples, held out (Keras's validation_split); 0: none. */
  readonly validationSplit: number;
  readonly callbacks: CallbackConfig;
  readonly out: string | false;
  readonly checkpointDir: string | false;
  readonly resume: boolean;
  readonly profile: boolean;
  readonly stepTimeoutMs: number;
  readonly remote?: Required<Omit<RemoteOptions, "token">> & { token?: string };
  /** Serve the dashboard; hostname and port are those of `remote` when that is set. */
  readonly dashboard?: Required<DashboardServerOptions>;
}

/**
 * The network to train: the MLP of `hidden` widths (its input sized to the data's images), a
 * checked spec (`name` says where it came from), or a topology file the run reads.
 */
export type ModelChoice =
  | { readonly kind: "mlp" }
  | { readonly kind: "spec"; readonly name: string; readonly spec: ModelSpec }
  | { readonly kind: "file"; readonly path: string };

/** Where the run's model came from, as errors name it: its file, or `model "convnet"`. */
export function modelSource(model: ModelChoice): string {
  if (model.kind === "file") return model.path;
  return `model "${model.kind === "mlp" ? "mlp" : model.name}"`;
}

/** An option outside its rules: names the option (as `train()` spells it) and what it wants. */
export class ConfigError extends RangeError {
  override name = "ConfigError";
  constructor(
    readonly option: keyof TrainOptions,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${option}: expected ${expected}, got ${show(got)}`);
  }
}

const isInt = (v: unknown, min: number, max: number) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

function intOption(
  options: TrainOptions,
  name: keyof TrainOptions,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = options[name] ?? fallback;
  if (!isInt(value, min, max))
    throw new ConfigError(name, `an integer from ${min} to ${max}`, value);
  return value as number;
}

/** The one place that owns defaults and rules, for `train()` and the CLI alike. */
export function resolveTrainConfig(options: TrainOptions): TrainConfig {
  const workers = intOption(
    options,
    "workers",
    navigator.hardwareConcurrency ?? 1,
    1,
    LIMITS.workers,
  );
  const model = resolveModel(options);
  const defaultBatch = model.kind === "mlp" ? DEFAULTS.batchSize : DEFAULTS.otherModelsBatchSize;
  const batchSize = intOption(options, "batchSize", defaultBatch, workers, LIMITS.batchSize);
  const optimizer = resolveTrainOptimizer(options, inlineTraining(options.model));
  const validationSplit = options.validationSplit ?? 0;
  if (typeof validationSplit !== "number" || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new ConfigError("validationSplit", "a fraction in [0, 1)", validationSplit);
  }
  const hidden = options.hidden ?? DEFAULTS.hidden;
  if (!Array.isArray(hidden) || !hidden.every((h) => isInt(h, 1, LIMITS.hiddenUnits))) {
    throw new ConfigError("hidden", `an array of integers from 1 to ${LIMITS.hiddenUnits}`, hidden);
  }
  const out = options.out ?? DEFAULTS.out;
  return {
    workers,
    epochs: intOption(options, "epochs", DEFAULTS.epochs, 1, LIMITS.epochs),
    batchSize,
    optimizer,
    optimizerOptions: optimizerOptionsOf(options),
    loss: resolveLoss(options.loss),
    metrics: resolveMetricNames(options.metrics),
    seed: intOption(options, "seed", DEFAULTS.seed, -(2 ** 31), 2 ** 31 - 1),
    hidden: [...hidden],
    model,
    dataDir: options.dataDir,
    dataset: options.dataset,
    arrays: resolveArrays(options),
    trainLimit: intOption(
      options,
      "trainLimit",
      Number.MAX_SAFE_INTEGER,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    testLimit: intOption(options, "testLimit", Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER),
    validationSplit,
    callbacks: resolveCallbacks(options, validationSplit > 0),
    out,
    checkpointDir: options.checkpointDir ?? (out === false ? false : `${out}.checkpoint`),
    resume: options.resume ?? false,
    profile: options.profile ?? false,
    stepTimeoutMs: intOption(options, "stepTimeoutMs", DEFAULTS.stepTimeoutMs, 1, 24 * 3_600_000),
    remote: options.remote && resolveRemote(options.remote),
    dashboard: resolveDashboard(options.dashboard, options.remote !== undefined),
  };
}

/**
 * The optimizer and its settings (Keras's defaults for those not given) with the learning-rate
 * schedule, if any; errors name the option.
 */
function resolveTrainOptimizer(options: TrainOptions, file?: TrainingSetup): OptimizerSpec {
  const schedule = resolveSchedule(options.lrSchedule);
  try {
    const spec = resolveOptimizer({
      ...options,
      optimizer: underFileOptimizer(options.optimizer, file) ?? DEFAULTS.optimizer,
    });
    return schedule ? { ...spec, schedule } : spec;
  } catch (error) {
    if (!(error instanceof OptimizerSpecError)) throw error;
    // A setting given inside an optimizer object is reported as that object's.
    const flat =
      error.setting !== "optimizer" &&
      (options as Record<string, unknown>)[error.setting] !== undefined;
    const option = (flat ? error.setting : "optimizer") as keyof TrainOptions;
    throw new ConfigError(option, error.expected, flat ? error.got : options.optimizer);
  }
}

/** The logs every epoch has, by Keras's names (and the metrics asked for); `val_` ones come with a validation split. */
const MONITORABLE = ["loss", "accuracy"];

/** Early stopping and save-best, monitoring `monitor` (val_loss with validation, else loss). */
function resolveCallbacks(options: TrainOptions, validation: boolean): CallbackConfig {
  const { earlyStopping, saveBest = false, restoreBestWeights = false, minDelta = 0 } = options;
  const monitor = options.monitor ?? (validation ? "val_loss" : "loss");
  const monitorable = [...MONITORABLE, ...(options.metrics ?? [])];
  const names = monitorable.flatMap((name) => (validation ? [name, `val_${name}`] : [name]));
  if (!names.includes(monitor)) {
    const hint = monitor.startsWith("val_") && !validation ? " (val_ needs validationSplit)" : "";
    throw new ConfigError("monitor", `one of ${names.join(", ")}${hint}`, monitor);
  }
  if (earlyStopping !== undefined && !isInt(earlyStopping, 0, LIMITS.epochs)) {
    throw new ConfigError("earlyStopping", `a patience from 0 to ${LIMITS.epochs}`, earlyStopping);
  }
  if (typeof minDelta !== "number" || !(minDelta >= 0) || !Number.isFinite(minDelta)) {
    throw new ConfigError("minDelta", "a number ≥ 0", minDelta);
  }
  if (
    typeof restoreBestWeights !== "boolean" ||
    (restoreBestWeights && earlyStopping === undefined)
  ) {
    throw new ConfigError("restoreBestWeights", "true only with earlyStopping", restoreBestWeights);
  }
  if (typeof saveBest !== "boolean") throw new ConfigError("saveBest", "true or false", saveBest);
  return {
    ...(earlyStopping !== undefined
      ? { earlyStopping: { monitor, patience: earlyStopping, minDelta, restoreBestWeights } }
      : {}),
    ...(saveBest ? { saveBest: { monitor } } : {}),
    ...resolveReduceLr(options, monitor),
  };
}

/** Reduce on plateau, which Keras cannot combine with a schedule (its rate is not settable). */
function resolveReduceLr(options: TrainOptions, monitor: string): CallbackConfig {
  const given = options.reduceLrOnPlateau;
  if (given === undefined) return {};
  if (options.lrSchedule !== undefined) {
    throw new ConfigError("reduceLrOnPlateau", "no lrSchedule beside it", given);
  }
  try {
    return { reduceLrOnPlateau: reduceLrOptions(given, monitor) };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError("reduceLrOnPlateau", `Keras's settings (${error.message})`, given);
  }
}

/** The optimizer settings among `options` (what a model file's training config yields to). */
function optimizerOptionsOf(
  options: TrainOptions,
): OptimizerOptions & Pick<TrainOptions, "lrSchedule"> {
  const keys = [
    "optimizer",
    "learningRate",
    "rho",
    "beta1",
    "beta2",
    "epsilon",
    "weightDecay",
    "momentum",
    "nesterov",
    "initialAccumulatorValue",
    "lrSchedule",
  ] as const;
  return Object.fromEntries(
    keys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]),
  );
}

/**
 * The optimizer of a model file's training config with the caller's choice over it: the
 * caller's object's settings win, a caller naming another optimizer replaces it.
 */
function underFileOptimizer(
  given: TrainOptions["optimizer"],
  file: TrainingSetup | undefined,
): TrainOptions["optimizer"] {
  const saved = file?.optimizer;
  if (saved === undefined || typeof saved === "string") return given ?? saved;
  if (given === undefined) return saved;
  const type = typeof given === "string" ? given : given.type;
  if (type !== saved.type) return given;
  return typeof given === "string" ? saved : { ...saved, ...given };
}

/** The training config of a topology given inline (text or object), if it has one. */
function inlineTraining(model: TrainOptions["model"]): TrainingSetup | undefined {
  const inline =
    (typeof model === "string" && model.trim().startsWith("{")) ||
    (typeof model === "object" && model !== null && !("inputShape" in model));
  return inline ? readTrainingConfig(model, "model") : undefined;
}

/**
 * The config with a model file's training configuration (optimizer, loss, metrics) under the
 * caller's settings (read when the run reads the file).
 */
export function withModelTraining(
  config: TrainConfig,
  file: TrainingSetup | undefined,
): TrainConfig {
  if (!file) return config;
  return {
    ...config,
    ...(file.optimizer ? { optimizer: resolveTrainOptimizer(config.optimizerOptions, file) } : {}),
    // The file's loss and metrics train unless the caller named their own.
    loss: config.loss ?? resolveLoss(file.loss),
    metrics: config.metrics ?? resolveMetricNames(file.metrics && [...file.metrics]),
  };
}

function resolveSchedule(given: TrainOptions["lrSchedule"]): LearningRateSchedule | undefined {
  if (given === undefined) return undefined;
  try {
    return typeof given === "string" ? parseSchedule(given) : checkSchedule(given);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw new ConfigError("lrSchedule", `a learning-rate schedule (${error.message})`, given);
  }
}

function resolveLoss(loss: TrainOptions["loss"]): LossName | undefined {
  if (loss === undefined) return undefined;
  try {
    return lossByName(loss).name;
  } catch (error) {
    throw new ConfigError("loss", (error as Error).message.replace(/^.*expected /, ""), loss);
  }
}

function resolveMetricNames(metrics: TrainOptions["metrics"]): readonly string[] | undefined {
  if (metrics === undefined) return undefined;
  if (!Array.isArray(metrics) || !metrics.every((m) => typeof m === "string")) {
    throw new ConfigError("metrics", "an array of Keras metric names", metrics);
  }
  if (metrics.length > LIMITS.metrics) {
    throw new ConfigError("metrics", `at most ${LIMITS.metrics} metrics`, metrics.length);
  }
  return [...metrics];
}

function resolveArrays(options: TrainOptions): ArrayDataset | undefined {
  if (options.data === undefined) return undefined;
  if (options.dataset !== undefined || options.dataDir !== undefined) {
    const other = options.dataset !== undefined ? "dataset" : "dataDir";
    throw new ConfigError("data", `no ${other} beside data (one data source)`, other);
  }
  return validateArrayDataset(options.data);
}

function resolveDashboard(
  dashboard: TrainOptions["dashboard"],
  remote: boolean,
): TrainConfig["dashboard"] {
  if (dashboard === undefined || dashboard === false) return undefined;
  const given = dashboard === true ? {} : dashboard;
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new ConfigError("dashboard", "true, false or { hostname?, port?, keepOpen? }", given);
  }
  const { hostname = "127.0.0.1", port = 0, keepOpen = false } = given;
  if (remote && (given.hostname !== undefined || given.port !== undefined)) {
    throw new ConfigError(
      "dashboard",
      "no hostname or port with remote (the dashboard is served on remote's address)",
      { hostname: given.hostname, port: given.port },
    );
  }
  if (!isInt(port, 0, 65_535)) throw new ConfigError("dashboard", "a port from 0 to 65535", port);
  if (typeof hostname !== "string" || hostname === "") {
    throw new ConfigError("dashboard", "a hostname", hostname);
  }
  if (typeof keepOpen !== "boolean") {
    throw new ConfigError("dashboard", "keepOpen true or false", keepOpen);
  }
  return { hostname, port, keepOpen };
}

const MODEL_EXPECTED = `"mlp", "convnet", a tfjs Layers topology or the path of a JSON file holding one`;

/** `model` (and `hidden`, which only the MLP takes) to a {@link ModelChoice}. */
function resolveModel(options: TrainOptions): ModelChoice {
  const model = options.model ?? "mlp";
  if (model !== "mlp" && options.hidden !== undefined) {
    throw new ConfigError(
      "hidden",
      `no hidden widths with model ${show(model)} (only "mlp" takes them)`,
      options.hidden,
    );
  }
  if (model === "mlp") return { kind: "mlp" };
  if (model === "convnet") return { kind: "spec", name: "convnet", spec: CONVNET_SPEC };
  if (typeof model === "string") return modelFromText(model);
  if (typeof model !== "object" || model === null || Array.isArray(model)) {
    throw new ConfigError("model", MODEL_EXPECTED, model);
  }
  if ("inputShape" in model && "layers" in model) return customModel(model as ModelSpec);
  return customModel(parseTopology(model, "model"));
}

/** Inline topology JSON, or else the path of a file holding one. */
function modelFromText(text: string): ModelChoice {
  if (text.trim().startsWith("{")) return customModel(parseTopology(text, "model"));
  if (text.trim() === "") throw new ConfigError("model", MODEL_EXPECTED, text);
  return { kind: "file", path: text };
}

/**
 * A spec given in the options, checked layer by layer and for a trainable output; a
 * ModelSpecError names the layer and the field.
 */
function customModel(spec: ModelSpec): ModelChoice {
  modelLayout(spec);
  return { kind: "spec", name: "custom", spec };
}

function resolveRemote(remote: RemoteOptions): NonNullable<TrainConfig["remote"]> {
  const { expectWorkers, hostname = "127.0.0.1", port = 0, token, standIns = true } = remote;
  if (!isInt(expectWorkers, 1, LIMITS.workers)) {
    throw new ConfigError("remote", `expectWorkers from 1 to ${LIMITS.workers}`, expectWorkers);
  }
  if (!isInt(port, 0, 65_535)) throw new ConfigError("remote", "a port from 0 to 65535", port);
  if (typeof hostname !== "string" || hostname === "") {
    throw new ConfigError("remote", "a hostname", hostname);
  }
  if (token !== undefined && (typeof token !== "string" || token.length < 16)) {
    throw new ConfigError("remote", "a token of at least 16 characters", "a shorter token");
  }
  return { expectWorkers, hostname, port, token, standIns };
}
