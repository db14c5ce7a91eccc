import { type Optimizer, type OptimizerSpec, optimizerFor } from "../core/optim/optimizer.ts";
import { AbortedError, type Collective } from "./collective.ts";
import { simdOptimizer, simdUnavailable } from "./optimizer-simd.ts";
import { TIMING } from "./telemetry.ts";

/**
 * The collective over shared memory, for worker threads of one process: a ZeRO-1 style
 * update where each worker owns a slice of the parameters. Ownership rules:
 *
 * - The coordinator allocates the plane once and writes it only between epochs.
 * - Params and each optimizer state vector are double-buffered: step t reads copy `t % 2`
 *   and writes copy `(t + 1) % 2`, so a step that fails half-way leaves step t intact.
 * - Worker w writes only its gradient row, and only its slice `[lo, hi)` of the next copies.
 * - Two barriers per step order these writes: after all gradients are written, and after
 *   all slices are updated.
 */
export interface SharedPlaneBuffers {
  readonly workers: number;
  readonly paramCount: number;
  readonly stateNames: readonly string[];
  /**
   * The whole plane (layout: {@link planeLayout}): a shared WebAssembly.Memory where the runtime
   * has one, so the update runs as a wasm SIMD kernel over it; else a SharedArrayBuffer.
   */
  readonly memory: WebAssembly.Memory | SharedArrayBuffer;
  /** Why `memory` is a SharedArrayBuffer: the WebAssembly.Memory constructor's error. */
  readonly memoryFallback?: string;
}

/** Int32 slots of `control`. */
const CTL = {
  barrierCount: 0,
  barrierGeneration: 1,
  abort: 2,
  /** Steps completed since the run started (selects the current copy). */
  stepsDone: 3,
  length: 4,
} as const;

const F32 = Float32Array.BYTES_PER_ELEMENT;

/** How long a thread at a barrier polls before it sleeps (bounded: threads may share a core). */
const BARRIER_POLL_MS = 0.05;

/** Byte offsets in the plane: control slots, then params, state and gradient rows. */
export function planeLayout(workers: number, paramCount: number, stateCount: number) {
  const vector = paramCount * F32;
  const params = 64;
  const state = params + 2 * vector;
  const grads = state + 2 * stateCount * vector;
  return { control: 0, params, state, grads, bytes: grads + workers * vector };
}

const WASM_PAGE = 65536;

export function allocateSharedPlane(
  workers: number,
  paramCount: number,
  stateNames: readonly string[],
): SharedPlaneBuffers {
  const { bytes } = planeLayout(workers, paramCount, stateNames.length);
  return { workers, paramCount, stateNames, ...sharedMemory(bytes) };
}

/** A shared WebAssembly.Memory of at least `bytes`, or a SharedArrayBuffer when there is none. */
function sharedMemory(bytes: number): Pick<SharedPlaneBuffers, "memory" | "memoryFallback"> {
  const pages = Math.ceil(bytes / WASM_PAGE);
  try {
    return { memory: new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }) };
  } catch (error) {
    return { memory: new SharedArrayBuffer(bytes), memoryFallback: String(error) };
  }
}

function planeBuffer(buffers: SharedPlaneBuffers): ArrayBufferLike {
  const { memory } = buffers;
  return memory instanceof SharedArrayBuffer ? memory : memory.buffer;
}

/** Typed views over the plane; cheap to build in every realm. The coordinator's handle. */
export class SharedPlane {
  protected readonly control: Int32Array;
  private readonly paramCopies: Float32Array[];
  /** stateCopies[copy][k]: state vector k of copy `copy`. */
  private readonly stateCopies: Float32Array[][];
  protected readonly gradRows: Float32Array[];

  constructor(readonly buffers: SharedPlaneBuffers) {
    const n = buffers.paramCount;
    const k = buffers.stateNames.length;
    const at = planeLayout(buffers.workers, n, k);
    const plane = planeBuffer(buffers);
    const vector = (offset: number) => new Float32Array(plane, offset, n);
    this.control = new Int32Array(plane, at.control, CTL.length);
    this.paramCopies = [0, 1].map((c) => vector(at.params + c * n * F32));
    this.stateCopies = [0, 1].map((c) =>
      Array.from({ length: k }, (_, s) => vector(at.state + (c * k + s) * n * F32)),
    );
    this.gradRows = Array.from({ length: buffers.workers }, (_, w) =>
      vector(at.grads + w * n * F32),
    );
  }

  get stepsDone(): number {
    return Atomics.load(this.control, CTL.stepsDone);
  }

  /** The plane's WebAssembly.Memory, or undefined where it is a SharedArrayBuffer. */
  get weights(): WebAssembly.Memory | undefined {
    const { memory } = this.buffers;
    return memory instanceof SharedArrayBuffer ? undefined : memory;
  }

  params(step = this.stepsDone): Float32Array {
    return this.paramCopies[step & 1];
  }

  /** The optimizer state vectors at `step`, in `stateNames` order. */
  state(step = this.stepsDone): readonly Float32Array[] {
    return this.stateCopies[step & 1];
  }

  /** The slice of parameters worker w reduces and updates. */
  slice(worker: number): [number, number] {
    const n = this.buffers.paramCount;
    const w = this.buffers.workers;
    return [Math.floor((worker * n) / w), Math.floor(((worker + 1) * n) / w)];
  }

  /** Coordinator only, between epochs: sets the state the next step reads. */
  load(stepsDone: number, params: Float32Array, state: readonly Float32Array[]): void {
    Atomics.store(this.control, CTL.stepsDone, stepsDone);
    this.params(stepsDone).set(params);
    this.state(stepsDone).forEach((vector, k) => {
      vector.set(state[k]);
    });
  }

  /**
   * Coordinator only, before the workers start (or restart) their steps: clears the barrier
   * and the abort flag, and raises the flag when `signal` aborts — every worker parked at a
   * barrier then wakes and throws an AbortedError. Returns what stops listening.
   */
  beginAttempt(signal: AbortSignal): () => void {
    Atomics.store(this.control, CTL.barrierCount, 0);
    Atomics.store(this.control, CTL.abort, 0);
    const abort = () => this.abort();
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
    return () => signal.removeEventListener("abort", abort);
  }

  private abort(): void {
    Atomics.store(this.control, CTL.abort, 1);
    Atomics.add(this.control, CTL.barrierGeneration, 1);
    Atomics.notify(this.control, CTL.barrierGeneration);
  }

  /** Marks step `step` done (every worker stores the same value after the last barrier). */
  protected finishStep(step: number): void {
    Atomics.store(this.control, CTL.stepsDone, step + 1);
  }

  /**
   * Blocks until all workers arrive (generation-counting barrier on Atomics). Waits in short
   * slices so an abort from the coordinator wakes every worker instead of leaving it parked.
   */
  protected barrier(): void {
    const ctl = this.control;
    const generation = Atomics.load(ctl, CTL.barrierGeneration);
    if (Atomics.load(ctl, CTL.abort)) throw new AbortedError();
    if (Atomics.add(ctl, CTL.barrierCount, 1) === this.buffers.workers - 1) {
      Atomics.store(ctl, CTL.barrierCount, 0);
      Atomics.add(ctl, CTL.barrierGeneration, 1);
      Atomics.notify(ctl, CTL.barrierGeneration);
      return;
    }
    // Poll briefly before sleeping: a futex wake-up took ~45 µs here, polling ~10 µs
    // (two threads, 0.5 ms of work between barriers), and a step passes two barriers.
    const pollUntil = performance.now() + BARRIER_POLL_MS;
    while (
      Atomics.load(ctl, CTL.barrierGeneration) === generation &&
      performance.now() < pollUntil
    ) {}
    while (Atomics.load(ctl, CTL.barrierGeneration) === generation) {
      Atomics.wait(ctl, CTL.barrierGeneration, generation, 200);
    }
    if (Atomics.load(ctl, CTL.abort)) throw new AbortedError();
  }
}

/** Worker w's side of the plane: the {@link Collective} over shared memory. */
export class SharedMemoryCollective extends SharedPlane implements Collective {
  readonly gradient: Float32Array;
  /** "wasm-simd", or "js" with the reason the SIMD kernel is not used. */
  readonly updateKernel: string;
  private optimizer: Optimizer;
  private readonly lo: number;
  private readonly hi: number;

  constructor(
    buffers: SharedPlaneBuffers,
    readonly slot: number,
    optimizer: OptimizerSpec,
    /** This worker's timings row, when profiling. */
    private readonly timings?: Float64Array,
  ) {
    super(buffers);
    this.gradient = this.gradRows[slot];
    [this.optimizer, this.updateKernel] = planeOptimizer(buffers, optimizer);
    [this.lo, this.hi] = this.slice(slot);
  }

  get size(): number {
    return this.buffers.workers;
  }

  /** Between epochs: the same optimizer with other settings (a reduced learning rate). */
  setOptimizer(spec: OptimizerSpec): void {
    [this.optimizer] = planeOptimizer(this.buffers, spec);
  }

  async reduceAndUpdate(step: number): Promise<void> {
    const timings = this.timings;
    const t0 = timings ? performance.now() : 0;
    this.barrier();
    const t1 = timings ? performance.now() : 0;
    // Reduce and update in one pass; the rows are summed in worker order, so every run adds
    // the same way.
    this.optimizer.update(
      this.gradRows,
      this.params(step),
      this.state(step),
      this.params(step + 1),
      this.state(step + 1),
      this.lo,
      this.hi,
      step + 1,
    );
    const t2 = timings ? performance.now() : 0;
    this.barrier();
    this.finishStep(step);
    if (timings) {
      timings[TIMING.gradBarrier] += t1 - t0;
      timings[TIMING.update] += t2 - t1;
      timings[TIMING.updateBarrier] += performance.now() - t2;
    }
  }
}

/** The SIMD kernel over the plane's wasm memory where it can run, else the JS loop (and why). */
function planeOptimizer(buffers: SharedPlaneBuffers, spec: OptimizerSpec): [Optimizer, string] {
  const { memory } = buffers;
  if (memory instanceof SharedArrayBuffer) {
    return [optimizerFor(spec), `js (no shared WebAssembly.Memory: ${buffers.memoryFallback})`];
  }
  const why = simdUnavailable(spec);
  return why ? [optimizerFor(spec), `js (${why})`] : [simdOptimizer(memory, spec), "wasm-simd"];
}

/**
 * sum[lo, hi) = Σ_r rows[r][lo, hi), always in worker order so every run adds the same way.
 * Small separate functions: inside a long loop the JIT optimised this poorly.
 */
export function sumRows(rows: Float32Array[], sum: Float32Array, lo: number, hi: number): void {
  sum.set(rows[0].subarray(lo, hi), lo);
  for (let r = 1; r < rows.length; r++) addInto(sum, rows[r], lo, hi);
}

function addInto(sum: Float32Array, row: Float32Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) sum[i] += row[i];
}
