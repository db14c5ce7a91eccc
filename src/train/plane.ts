/**
 * The shared-memory data plane of a training run. Ownership rules:
 *
 * - The coordinator allocates every buffer once and never writes them during an epoch.
 * - `params` and `ms` are double-buffered: step t reads copy `t % 2` and writes copy
 *   `(t + 1) % 2`, so a step that fails half-way leaves the state of step t intact.
 * - Worker w writes only row w of `grads`, and only its slice `[lo, hi)` of the next
 *   `params`/`ms` copy.
 * - Two barriers per step order these writes: after all gradients are written, and after all
 *   slices are updated.
 */
export interface PlaneBuffers {
  readonly workers: number;
  readonly paramCount: number;
  readonly control: SharedArrayBuffer;
  readonly params: SharedArrayBuffer;
  readonly ms: SharedArrayBuffer;
  readonly grads: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  readonly timings: SharedArrayBuffer;
}

/** Int32 slots of `control`. */
export const CTL = {
  barrierCount: 0,
  barrierGeneration: 1,
  abort: 2,
  /** Steps completed since the run started (selects the current params copy). */
  stepsDone: 3,
  /** Number of slots. */
  length: 4,
} as const;

/** Float64 slots of `stats`, per worker, reset at each epoch. */
export const STAT = { loss: 0, correct: 1, seen: 2, width: 4 } as const;

/** Float64 slots of `timings` (milliseconds, per worker), filled only when profiling. */
export const TIMING = {
  upload: 0,
  compute: 1,
  download: 2,
  gradBarrier: 3,
  update: 4,
  updateBarrier: 5,
  steps: 6,
  width: 8,
} as const;

export function allocatePlane(workers: number, paramCount: number): PlaneBuffers {
  const f32 = Float32Array.BYTES_PER_ELEMENT;
  return {
    workers,
    paramCount,
    control: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * CTL.length),
    params: new SharedArrayBuffer(2 * paramCount * f32),
    ms: new SharedArrayBuffer(2 * paramCount * f32),
    grads: new SharedArrayBuffer(workers * paramCount * f32),
    stats: new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * STAT.width * workers),
    timings: new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * TIMING.width * workers),
  };
}

/** Typed views over a plane; cheap to build in every realm. */
export class Plane {
  readonly control: Int32Array;
  readonly stats: Float64Array;
  readonly timings: Float64Array;
  private readonly paramCopies: [Float32Array, Float32Array];
  private readonly msCopies: [Float32Array, Float32Array];
  private readonly gradRows: Float32Array[];

  constructor(readonly buffers: PlaneBuffers) {
    const n = buffers.paramCount;
    this.control = new Int32Array(buffers.control);
    this.stats = new Float64Array(buffers.stats);
    this.timings = new Float64Array(buffers.timings);
    this.paramCopies = [
      new Float32Array(buffers.params, 0, n),
      new Float32Array(buffers.params, 4 * n, n),
    ];
    this.msCopies = [new Float32Array(buffers.ms, 0, n), new Float32Array(buffers.ms, 4 * n, n)];
    this.gradRows = Array.from(
      { length: buffers.workers },
      (_, w) => new Float32Array(buffers.grads, 4 * n * w, n),
    );
  }

  get stepsDone(): number {
    return Atomics.load(this.control, CTL.stepsDone);
  }

  params(step = this.stepsDone): Float32Array {
    return this.paramCopies[step & 1];
  }

  ms(step = this.stepsDone): Float32Array {
    return this.msCopies[step & 1];
  }

  gradRow(worker: number): Float32Array {
    return this.gradRows[worker];
  }

  /** The slice of parameters worker w reduces and updates. */
  slice(worker: number): [number, number] {
    const n = this.buffers.paramCount;
    const w = this.buffers.workers;
    return [Math.floor((worker * n) / w), Math.floor(((worker + 1) * n) / w)];
  }

  /** Coordinator only, between epochs: sets the state the next step reads. */
  load(stepsDone: number, params: Float32Array, ms: Float32Array): void {
    Atomics.store(this.control, CTL.stepsDone, stepsDone);
    this.params(stepsDone).set(params);
    this.ms(stepsDone).set(ms);
  }

  resetBarrier(): void {
    Atomics.store(this.control, CTL.barrierCount, 0);
    Atomics.store(this.control, CTL.abort, 0);
  }

  abort(): void {
    Atomics.store(this.control, CTL.abort, 1);
    Atomics.add(this.control, CTL.barrierGeneration, 1);
    Atomics.notify(this.control, CTL.barrierGeneration);
  }

  get aborted(): boolean {
    return Atomics.load(this.control, CTL.abort) !== 0;
  }
}

export class AbortedError extends Error {
  constructor() {
    super("training step aborted by the coordinator");
    this.name = "AbortedError";
  }
}

/**
 * Blocks until all workers arrive (generation-counting barrier on Atomics). Waits in short
 * slices so an abort from the coordinator wakes every worker instead of leaving it parked.
 */
export function barrier(plane: Plane): void {
  const ctl = plane.control;
  const generation = Atomics.load(ctl, CTL.barrierGeneration);
  if (Atomics.load(ctl, CTL.abort)) throw new AbortedError();
  if (Atomics.add(ctl, CTL.barrierCount, 1) === plane.buffers.workers - 1) {
    Atomics.store(ctl, CTL.barrierCount, 0);
    Atomics.add(ctl, CTL.barrierGeneration, 1);
    Atomics.notify(ctl, CTL.barrierGeneration);
    return;
  }
  while (Atomics.load(ctl, CTL.barrierGeneration) === generation) {
    Atomics.wait(ctl, CTL.barrierGeneration, generation, 200);
  }
  if (Atomics.load(ctl, CTL.abort)) throw new AbortedError();
}
