/**
 * The collective of a synchronous data-parallel run, as one slot's thread sees it: every slot
 * reads the same weights at step t, writes its gradient of the global batch's mean loss (its
 * rows only), and `reduceAndUpdate(t)` sums the slots' gradients, applies the optimizer and
 * returns once every slot can read the weights of step t + 1. Shared memory between threads
 * implements it (shared-memory.ts; relay.ts carries a worker process's rows to the network).
 */
export interface Collective {
  /** This thread's slot, 0 ≤ slot < size. */
  readonly slot: number;
  readonly size: number;
  /** The weights every slot reads at global step `step`. */
  params(step: number): Float32Array;
  /** Where this slot writes its gradient for the current step (flat layout). */
  readonly gradient: Float32Array;
  /** The shared WebAssembly.Memory that `params()` and `gradient` are views of, if any. */
  readonly weights?: WebAssembly.Memory;
  /** Sums the gradients, updates the weights; afterwards `params(step + 1)` is complete. */
  reduceAndUpdate(step: number): Promise<void>;
}

/** Thrown inside a participant when the coordinator aborts the step (a peer failed). */
export class AbortedError extends Error {
  override name = "AbortedError";
  constructor() {
    super("training step aborted by the coordinator");
  }
}

/**
 * Thrown by a participant whose step produced a loss or gradient that is not finite: a
 * failure of that participant for the step, or — when every participant (or the one that
 * replaced it) gets the same — the run diverging.
 */
export class NonFiniteError extends Error {
  override name = "NonFiniteError";
  constructor(
    readonly step: number,
    /** The non-finite loss, or undefined when only the gradient was. */
    readonly loss?: number,
  ) {
    super(`non-finite ${loss === undefined ? "gradient" : `loss ${loss}`} at step ${step}`);
  }

  /**
   * The error a message names (an error crosses threads and sockets as its message only),
   * or undefined when it names none.
   */
  static fromMessage(message: string): NonFiniteError | undefined {
    const m = /^non-finite (?:gradient|loss (NaN|-?Infinity)) at step (\d+)$/.exec(message);
    return m
      ? new NonFiniteError(Number(m[2]), m[1] === undefined ? undefined : Number(m[1]))
      : undefined;
  }
}

/** Index of the first value that is NaN or ±Infinity, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // v - v is 0 for finite v, NaN for NaN and ±Infinity: one subtraction per value.
    if (values[i] - values[i] !== 0) return i;
  }
  return -1;
}
