import type { WorkerPlan } from "../src/core/plan.ts";
import { type RmspropConfig, rmspropUpdate } from "../src/core/rmsprop.ts";
import { decodeShard, type Shard } from "../src/core/shard.ts";
import { type ModelSpec, type ParamLayout, paramLayout } from "../src/core/spec.ts";
import { tf, useWasmBackend } from "../src/tf/backend.ts";
import {
  denseLogits,
  denseLossAndGrads,
  tensorsFromFlat,
  weightedCrossEntropy,
} from "../src/tf/dense.ts";
import { copyInto } from "../src/tf/transfer.ts";
import { barrier, CTL, Plane, type PlaneBuffers, STAT, TIMING } from "../src/train/plane.ts";

/** Where a worker gets its shard: over HTTP from the coordinator, or as bytes. */
export type ShardSource = { url: string; token?: string } | { bytes: Uint8Array | ArrayBuffer };

export interface EvalResult {
  /** Σ cross-entropy over the evaluated samples. */
  lossSum: number;
  correct: number;
  count: number;
}

export interface GradientResult extends EvalResult {
  /** Gradient of the *mean* loss over the given samples, in flat-layout order. */
  grads: Float32Array;
}

/** A fault to inject, for tests of the coordinator's recovery (never set in normal runs). */
export interface FaultInjection {
  /** Global step (counted from the start of the run) at which to fail. */
  readonly atStep: number;
  readonly kind: "throw" | "exit" | "hang";
}

export interface PlaneConfig {
  readonly buffers: PlaneBuffers;
  readonly worker: number;
  readonly rmsprop: RmspropConfig;
  readonly profile?: boolean;
  readonly fault?: FaultInjection;
}

export interface EpochRun {
  readonly plan: WorkerPlan;
  /** First step of the plan to run (> 0 when a failed step is redone). */
  readonly fromStep: number;
  /** Global step number of `fromStep` (selects the current params copy). */
  readonly globalStep: number;
}

const EVAL_CHUNK = 500;

/**
 * The math a training worker does, on tfjs's wasm backend. It holds one shard; with a plane
 * attached it runs whole epochs in lockstep with its peers (see plane.ts for who writes what).
 * Every tensor it creates is disposed before a call returns.
 */
export class TrainerWorker {
  private spec?: ModelSpec;
  private layout?: ParamLayout;
  private shard?: Shard;
  private plane?: Plane;
  private planeConfig?: PlaneConfig;

  async loadModel(spec: ModelSpec): Promise<number> {
    await useWasmBackend();
    this.spec = spec;
    this.layout = paramLayout(spec);
    return this.layout.size;
  }

  /** Loads this worker's shard; returns its train and test sample counts. */
  async loadShard(source: ShardSource): Promise<{ train: number; test: number }> {
    let bytes: Uint8Array;
    let name = "shard bytes";
    if ("url" in source) {
      name = source.url;
      const response = await fetch(source.url, {
        headers: source.token ? { authorization: `Bearer ${source.token}` } : {},
      });
      if (!response.ok)
        throw new Error(`${source.url}: HTTP ${response.status} ${await response.text()}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } else {
      bytes = source.bytes instanceof Uint8Array ? source.bytes : new Uint8Array(source.bytes);
    }
    const shard = decodeShard(bytes, name);
    const { inputSize } = this.requireModel().spec;
    if (shard.train.rows * shard.train.cols !== inputSize) {
      throw new Error(
        `${name}: images are ${shard.train.rows}×${shard.train.cols}, the model expects ${inputSize} inputs`,
      );
    }
    this.shard = shard;
    return { train: shard.train.count, test: shard.test.count };
  }

  attachPlane(config: PlaneConfig): void {
    this.plane = new Plane(config.buffers);
    this.planeConfig = config;
  }

  /**
   * Loss and gradient of the mean loss over the given training samples of this shard
   * (indices local to the shard), at `params`.
   */
  gradients(params: Float32Array, indices: Int32Array | number[]): GradientResult {
    const { layout } = this.requireModel();
    const idx = Int32Array.from(indices);
    const batch = this.batchBuffers(idx.length);
    this.fillBatch(batch, idx, 0, idx.length, idx.length);
    const grads = new Float32Array(layout.size);
    const { loss, correct } = this.computeInto(params, batch, grads);
    return { lossSum: loss * idx.length, correct, count: idx.length, grads };
  }

  /** Loss and accuracy over this shard's test samples, at `params` (or the plane's current). */
  evaluate(params?: Float32Array): EvalResult {
    const { layout } = this.requireModel();
    const test = this.requireShard().test;
    const weights = params ?? this.requirePlane().params();
    const tensors = tensorsFromFlat(layout, weights);
    const px = test.rows * test.cols;
    const classes = this.spec!.classes;
    const x = new Float32Array(EVAL_CHUNK * px);
    const y = new Float32Array(EVAL_CHUNK * classes);
    const w = new Float32Array(EVAL_CHUNK);
    let lossSum = 0;
    let correct = 0;
    try {
      for (let start = 0; start < test.count; start += EVAL_CHUNK) {
        const n = Math.min(EVAL_CHUNK, test.count - start);
        x.fill(0);
        y.fill(0);
        w.fill(0);
        for (let i = 0; i < n; i++) {
          const src = test.images.subarray((start + i) * px, (start + i + 1) * px);
          for (let j = 0; j < px; j++) x[i * px + j] = src[j] / 255;
          y[i * classes + test.labels[start + i]] = 1;
          w[i] = 1;
        }
        const [l, c] = tf.tidy(() => {
          const xt = tf.tensor2d(x, [EVAL_CHUNK, px]);
          const yt = tf.tensor2d(y, [EVAL_CHUNK, classes]);
          const wt = tf.tensor1d(w);
          const logits = denseLogits(tensors, xt);
          const hits = tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(yt, 1)), "float32");
          return [weightedCrossEntropy(logits, yt, wt), tf.sum(tf.mul(hits, wt))];
        });
        lossSum += readScalar(l);
        correct += readScalar(c);
      }
    } finally {
      tf.dispose([...tensors.kernels, ...tensors.biases]);
    }
    return { lossSum, correct, count: test.count };
  }

  /**
   * Runs the plan's steps `[fromStep, steps)` in lockstep with the other workers: compute
   * this shard's part of the global gradient, write it to the plane, wait for everyone,
   * reduce and RMSprop-update this worker's slice, wait again.
   */
  runEpoch(run: EpochRun): { steps: number } {
    const { layout } = this.requireModel();
    const plane = this.requirePlane();
    const config = this.planeConfig!;
    const { plan } = run;
    const me = config.worker;
    const capacity = Math.max(...plan.counts);
    const batch = this.batchBuffers(capacity);
    const row = plane.gradRow(me);
    const [lo, hi] = plane.slice(me);
    const rows = Array.from({ length: plane.buffers.workers }, (_, r) => plane.gradRow(r));
    const sum = new Float32Array(layout.size);
    const timings = config.profile ? plane.timings.subarray(me * TIMING.width) : undefined;
    const stats = plane.stats.subarray(me * STAT.width);
    let start = 0;
    for (let s = 0; s < run.fromStep; s++) start += plan.counts[s];

    for (let s = run.fromStep; s < plan.counts.length; s++) {
      const t = run.globalStep + (s - run.fromStep);
      if (config.fault?.atStep === t) injectFault(config.fault.kind);
      const n = plan.counts[s];
      this.fillBatch(batch, plan.indices, start, n, plan.globalCounts[s]);
      start += n;
      const t0 = timings ? performance.now() : 0;
      const { loss, correct } = this.computeInto(plane.params(t), batch, row, timings);
      const t1 = timings ? performance.now() : 0;
      barrier(plane);
      const t2 = timings ? performance.now() : 0;
      sumRows(rows, sum, lo, hi);
      rmspropUpdate(
        config.rmsprop,
        sum,
        plane.params(t),
        plane.ms(t),
        plane.params(t + 1),
        plane.ms(t + 1),
        lo,
        hi,
      );
      const t3 = timings ? performance.now() : 0;
      barrier(plane);
      Atomics.store(plane.control, CTL.stepsDone, t + 1);
      stats[STAT.loss] += loss * plan.globalCounts[s];
      stats[STAT.correct] += correct;
      stats[STAT.seen] += n;
      if (timings) {
        timings[TIMING.compute] += t1 - t0;
        timings[TIMING.gradBarrier] += t2 - t1;
        timings[TIMING.update] += t3 - t2;
        timings[TIMING.updateBarrier] += performance.now() - t3;
        timings[TIMING.steps] += 1;
      }
    }
    return { steps: plan.counts.length - run.fromStep };
  }

  /** Live tfjs tensors in this worker (a leak check for tests). */
  tensorCount(): number {
    return tf.memory().numTensors;
  }

  private requireModel(): { spec: ModelSpec; layout: ParamLayout } {
    if (!this.spec || !this.layout) throw new Error("worker: call loadModel(spec) first");
    return { spec: this.spec, layout: this.layout };
  }

  private requireShard(): Shard {
    if (!this.shard) throw new Error("worker: call loadShard(source) first");
    return this.shard;
  }

  private requirePlane(): Plane {
    if (!this.plane) throw new Error("worker: call attachPlane(config) first");
    return this.plane;
  }

  private batchCache?: BatchBuffers;

  private batchBuffers(capacity: number): BatchBuffers {
    const { spec } = this.requireModel();
    if (this.batchCache?.capacity !== capacity) {
      this.batchCache = {
        capacity,
        x: new Float32Array(capacity * spec.inputSize),
        y: new Float32Array(capacity * spec.classes),
        weights: new Float32Array(capacity),
        mask: new Float32Array(capacity),
      };
    }
    return this.batchCache;
  }

  /** Gathers `n` samples into the fixed-size batch; rows past `n` are zero padding. */
  private fillBatch(
    batch: BatchBuffers,
    indices: Int32Array,
    start: number,
    n: number,
    globalCount: number,
  ) {
    const train = this.requireShard().train;
    const { inputSize: px, classes } = this.spec!;
    batch.y.fill(0);
    batch.weights.fill(0);
    batch.mask.fill(0);
    if (n < batch.capacity) batch.x.fill(0, n * px);
    for (let i = 0; i < n; i++) {
      const sample = indices[start + i];
      if (sample < 0 || sample >= train.count) {
        throw new RangeError(`sample index ${sample} outside this shard's 0..${train.count - 1}`);
      }
      const src = train.images.subarray(sample * px, (sample + 1) * px);
      const dst = batch.x.subarray(i * px, (i + 1) * px);
      for (let j = 0; j < px; j++) dst[j] = src[j] / 255;
      batch.y[i * classes + train.labels[sample]] = 1;
      batch.weights[i] = 1 / globalCount;
      batch.mask[i] = 1;
    }
  }

  /** Computes the batch's gradients into `out` (flat layout); returns mean loss and hits. */
  private computeInto(
    params: Float32Array,
    batch: BatchBuffers,
    out: Float32Array,
    timings?: Float64Array,
  ): { loss: number; correct: number } {
    const { layout, spec } = this.requireModel();
    const t0 = timings ? performance.now() : 0;
    const tensors = tensorsFromFlat(layout, params);
    const x = tf.tensor2d(batch.x, [batch.capacity, spec.inputSize]);
    const y = tf.tensor2d(batch.y, [batch.capacity, spec.classes]);
    const weights = tf.tensor1d(batch.weights);
    const mask = tf.tensor1d(batch.mask);
    if (timings) timings[TIMING.upload] += performance.now() - t0;
    const result = denseLossAndGrads(tensors, x, y, weights, mask);
    try {
      const t1 = timings ? performance.now() : 0;
      layout.layers.forEach((l, i) => {
        copyInto(result.grads[2 * i], out, l.kernelOffset);
        copyInto(result.grads[2 * i + 1], out, l.biasOffset);
      });
      const loss = result.loss.dataSync()[0];
      const correct = result.correct.dataSync()[0];
      if (timings) timings[TIMING.download] += performance.now() - t1;
      return { loss, correct };
    } finally {
      tf.dispose([
        ...tensors.kernels,
        ...tensors.biases,
        x,
        y,
        weights,
        mask,
        result.loss,
        result.correct,
        ...result.grads,
      ]);
    }
  }
}

interface BatchBuffers {
  readonly capacity: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly weights: Float32Array;
  readonly mask: Float32Array;
}

/**
 * sum[lo, hi) = Σ_r rows[r][lo, hi), always in worker order so every run adds the same way.
 * A separate small function: inside the long step loop the JIT optimised it poorly.
 */
function sumRows(rows: Float32Array[], sum: Float32Array, lo: number, hi: number): void {
  sum.set(rows[0].subarray(lo, hi), lo);
  for (let r = 1; r < rows.length; r++) addInto(sum, rows[r], lo, hi);
}

function addInto(sum: Float32Array, row: Float32Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) sum[i] += row[i];
}

/** Reads a scalar and frees it. */
function readScalar(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

function injectFault(kind: FaultInjection["kind"]): never {
  if (kind === "exit") {
    (globalThis as unknown as { close(): void }).close();
    throw new Error("injected fault: worker exited");
  }
  if (kind === "hang") {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    for (;;) Atomics.wait(cell, 0, 0);
  }
  throw new Error("injected fault: worker threw");
}
