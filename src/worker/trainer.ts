import { type Collective, NonFiniteError } from "../collective/collective.ts";
import { type RelayBuffers, RelayCollective } from "../collective/relay.ts";
import {
  SharedMemoryCollective,
  type SharedPlane,
  type SharedPlaneBuffers,
} from "../collective/shared-memory.ts";
import { STAT, Telemetry, type TelemetryBuffers, TIMING } from "../collective/telemetry.ts";
import { dataMismatch } from "../core/data/fit.ts";
import type { WorkerPlan } from "../core/data/plan.ts";
import { decodeShard, type Shard } from "../core/data/shard.ts";
import { compactSamples } from "../core/data/sparse.ts";
import type { LossName } from "../core/loss/loss.ts";
import type { ModelSpec } from "../core/model/sequential.ts";
import type { OptimizerSpec } from "../core/optim/optimizer.ts";
import { type Batch, createBatch, fillBatch } from "./batch.ts";
import type { EvalOptions, EvalResult } from "./evaluate.ts";
import { type FaultInjection, injectFault } from "./faults.ts";
import { loadWorkerModel, type WorkerModel } from "./model.ts";

export type { EvalOptions, EvalResult, FaultInjection };

/** Where a worker gets its shard: over HTTP from the coordinator, or as bytes. */
export type ShardSource = { url: string; token?: string } | { bytes: Uint8Array | ArrayBuffer };

export interface GradientResult extends EvalResult {
  /** Gradient of the *mean* loss over the given samples, in flat-layout order. */
  grads: Float32Array;
}

/** How a worker joins a run on the shared-memory plane of its coordinator. */
export interface SharedPlaneMembership {
  readonly plane: SharedPlaneBuffers;
  readonly telemetry: TelemetryBuffers;
  readonly worker: number;
  readonly optimizer: OptimizerSpec;
  readonly profile?: boolean;
  readonly fault?: FaultInjection;
}

/**
 * How a thread of a worker process joins its process's relay plane (a networked run); thread 0
 * gets the port to the main thread, which talks to the coordinator.
 */
export interface RelayMembership {
  readonly plane: RelayBuffers;
  readonly telemetry: TelemetryBuffers;
  readonly worker: number;
  readonly port?: MessagePort;
}

export interface EpochRun {
  readonly plan: WorkerPlan;
  /** First step of the plan to run (> 0 when a failed step is redone). */
  readonly fromStep: number;
  /** Global step number of `fromStep` (selects the current params copy). */
  readonly globalStep: number;
}

interface RunMembership {
  readonly collective: Collective & SharedPlane;
  readonly stats: Float64Array;
  readonly timings?: Float64Array;
  readonly fault?: FaultInjection;
}

/**
 * What a training worker does, on the wasm gemm (model.ts; tfjs-wasm where relaxed SIMD is
 * missing). It holds one shard; once it has joined a run it trains whole epochs in lockstep
 * with its peers through the collective.
 */
export class TrainerWorker {
  private model?: WorkerModel;
  /** Its training samples as CSR rows where that is smaller (multi-hot data). */
  private shard?: Shard;
  private run?: RunMembership;
  private batch?: Batch;

  /**
   * Loads a model and the loss it trains with (default: the one for its last layer's
   * activation, core/loss `lossForActivation`); returns its parameter count.
   */
  async loadModel(spec: ModelSpec, loss?: LossName): Promise<number> {
    this.model = await loadWorkerModel(spec, loss);
    return this.model.size;
  }

  /** Loads this worker's shard; returns its train and test sample counts. */
  async loadShard(source: ShardSource): Promise<{ train: number; test: number }> {
    const model = this.requireModel();
    const name = "url" in source ? source.url : "shard bytes";
    const shard = decodeShard(await shardBytes(source), name);
    const mismatch = dataMismatch(shard.train, model.inputSize, model.classes);
    if (mismatch) throw new Error(`${name}: ${mismatch}`);
    // A version-3 shard comes compact already (this keeps it); a version-2 one is dense.
    this.shard = { ...shard, train: compactSamples(shard.train) };
    return { train: shard.train.count, test: shard.test.count };
  }

  joinSharedPlane(membership: SharedPlaneMembership): void {
    const telemetry = new Telemetry(membership.telemetry);
    const timings = membership.profile ? telemetry.timingsRow(membership.worker) : undefined;
    this.run = {
      collective: new SharedMemoryCollective(
        membership.plane,
        membership.worker,
        membership.optimizer,
        timings,
      ),
      stats: telemetry.statsRow(membership.worker),
      timings,
      fault: membership.fault,
    };
  }

  /**
   * Between epochs: the optimizer's new settings (ReduceLROnPlateau's learning rate). A relay
   * member applies no optimizer (its coordinator does).
   */
  setOptimizer(spec: OptimizerSpec): void {
    const collective = this.run?.collective;
    if (collective instanceof SharedMemoryCollective) collective.setOptimizer(spec);
  }

  joinRelayPlane(membership: RelayMembership): void {
    const telemetry = new Telemetry(membership.telemetry);
    this.run = {
      collective: new RelayCollective(membership.plane, membership.worker, membership.port),
      stats: telemetry.statsRow(membership.worker),
    };
  }

  /**
   * Loss and gradient of the mean loss over the given training samples of this shard
   * (indices local to the shard), at `params`.
   */
  gradients(params: Float32Array, indices: Int32Array | number[]): GradientResult {
    const model = this.requireModel();
    const idx = Int32Array.from(indices);
    const batch = this.batchOf(idx.length);
    fillBatch(batch, this.requireShard().train, idx, 0, idx.length, idx.length);
    const grads = new Float32Array(model.size);
    const { loss, correct } = model.gradientsInto(params, batch, grads, { step: 0 });
    return { lossSum: loss * idx.length, correct, count: idx.length, grads };
  }

  /**
   * Loss, accuracy and the metrics asked for over this shard's test samples (or with
   * `split: "train"` its training samples), at `params` (or the run's current); with
   * `predictions`, also each sample's predicted class and its probability.
   */
  evaluate(params?: Float32Array, options: EvalOptions = {}): EvalResult {
    const at = params ?? this.requireRun().collective.params();
    const shard = this.requireShard();
    const set = options.split === "train" ? shard.train : shard.test;
    return this.requireModel().evaluate(at, set, options, this.run?.collective.weights);
  }

  /**
   * Runs the plan's steps `[fromStep, steps)` in lockstep with the other workers: compute
   * this shard's part of the global gradient, then reduce and update through the collective.
   */
  async runEpoch(run: EpochRun): Promise<{ steps: number }> {
    const model = this.requireModel();
    const train = this.requireShard().train;
    const { collective, stats, timings, fault } = this.requireRun();
    const place = {
      seed: run.plan.seed,
      sampleOffset: run.plan.sampleOffset,
      weights: collective.weights,
    };
    const { plan } = run;
    const batch = this.batchOf(Math.max(...plan.counts));
    let start = 0;
    for (let s = 0; s < run.fromStep; s++) start += plan.counts[s];
    for (let s = run.fromStep; s < plan.counts.length; s++) {
      const step = run.globalStep + (s - run.fromStep);
      if (fault?.atStep === step) injectFault(fault.kind);
      const n = plan.counts[s];
      fillBatch(batch, train, plan.indices, start, n, plan.globalCounts[s]);
      start += n;
      const t0 = timings ? performance.now() : 0;
      const params = collective.params(step);
      const { loss, correct } = model.gradientsInto(
        params,
        batch,
        collective.gradient,
        { step, ...place },
        timings,
      );
      if (timings) timings[TIMING.compute] += performance.now() - t0;
      // Before the reduce: the others wait at its barrier until the coordinator aborts them.
      if (!Number.isFinite(loss)) throw new NonFiniteError(step, loss);
      await collective.reduceAndUpdate(step);
      stats[STAT.loss] += loss * plan.globalCounts[s];
      stats[STAT.correct] += correct;
      stats[STAT.seen] += n;
      if (timings) {
        timings[TIMING.steps] += 1;
        timings[TIMING.activeColumns] += batch.width;
      }
    }
    return { steps: plan.counts.length - run.fromStep };
  }

  /**
   * Computes a few gradients of this shard's first samples into scratch memory, so the first
   * real steps do not pay for JIT compilation, kernel set-up and wasm memory growth. Changes
   * no state: the weights are the run's current ones (or zeros before joining one).
   */
  warmUp(capacity: number, steps = 4): void {
    const model = this.requireModel();
    const train = this.requireShard().train;
    const n = Math.min(capacity, train.count);
    const batch = this.batchOf(capacity);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const params = this.run?.collective.params() ?? new Float32Array(model.size);
    const scratch = new Float32Array(model.size);
    for (let s = 0; s < steps; s++) {
      fillBatch(batch, train, order, 0, n, n);
      model.gradientsInto(params, batch, scratch, { step: s });
    }
  }

  /** Live tfjs tensors in this worker (a leak check for tests): 0 on the wasm gemm. */
  tensorCount(): number {
    return this.model?.liveTensors() ?? 0;
  }

  private requireModel() {
    if (!this.model) throw new Error("worker: call loadModel(spec) first");
    return this.model;
  }

  private requireShard(): Shard {
    if (!this.shard) throw new Error("worker: call loadShard(source) first");
    return this.shard;
  }

  private requireRun(): RunMembership {
    if (!this.run) throw new Error("worker: call joinSharedPlane(membership) first");
    return this.run;
  }

  /** The batch buffers for `capacity` samples, reused while the capacity stays the same. */
  private batchOf(capacity: number): Batch {
    const { inputSize, classes, allColumns } = this.requireModel();
    if (this.batch?.capacity !== capacity) {
      this.batch = createBatch(capacity, inputSize, classes, allColumns);
    }
    return this.batch;
  }
}

async function shardBytes(source: ShardSource): Promise<Uint8Array> {
  if ("bytes" in source) {
    return source.bytes instanceof Uint8Array ? source.bytes : new Uint8Array(source.bytes);
  }
  const response = await fetch(source.url, {
    headers: source.token ? { authorization: `Bearer ${source.token}` } : {},
  });
  if (!response.ok) {
    throw new Error(`${source.url}: HTTP ${response.status} ${await response.text()}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
