import { KERAS_RMSPROP, type RmspropConfig, rmspropUpdateSum } from "./rmsprop.ts";

/**
 * An optimizer as plain data, so it can cross into a worker or a checkpoint; `optimizerFor`
 * turns it into the update function. Its state is a named list of vectors, each as long as
 * the parameters (RMSprop keeps one: the running mean of squared gradients).
 */
export type OptimizerSpec = { readonly type: "rmsprop" } & RmspropConfig;

export interface Optimizer {
  readonly spec: OptimizerSpec;
  /** Names of the state vectors, in the order `update` takes them. */
  readonly stateNames: readonly string[];
  /**
   * One step over `[lo, hi)` with the gradient Σ `grads` (summed in order, in float32): reads
   * the current params and state, writes the next ones (separate arrays, so a step that fails
   * half-way leaves the current state intact).
   */
  update(
    grads: readonly Float32Array[],
    params: Float32Array,
    state: readonly Float32Array[],
    nextParams: Float32Array,
    nextState: readonly Float32Array[],
    lo: number,
    hi: number,
  ): void;
}

export function rmsprop(learningRate = KERAS_RMSPROP.learningRate): OptimizerSpec {
  return { ...KERAS_RMSPROP, type: "rmsprop", learningRate };
}

export function optimizerFor(spec: OptimizerSpec): Optimizer {
  return {
    spec,
    stateNames: ["meanSquare"],
    update(grads, params, state, nextParams, nextState, lo, hi) {
      rmspropUpdateSum(spec, grads, params, state[0], nextParams, nextState[0], lo, hi);
    },
  };
}
