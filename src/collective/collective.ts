/**
 * The collective of a synchronous data-parallel run, as a participant sees it: every
 * participant reads the same weights at step t, writes its gradient of the global batch's
 * mean loss (its rows only), and `reduceAndUpdate(t)` sums the participants' gradients,
 * applies the optimizer and returns once every participant can read the weights of step
 * t + 1. Shared memory between threads implements it today (shared-memory.ts); a networked
 * implementation plugs into the same worker step loop.
 */
export interface Collective {
  /** This participant's index, 0 ≤ rank < size. */
  readonly rank: number;
  readonly size: number;
  /** The weights every participant reads at global step `step`. */
  params(step: number): Float32Array;
  /** Where this participant writes its gradient for the current step (flat layout). */
  readonly gradient: Float32Array;
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
