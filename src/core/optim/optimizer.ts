import { type AdagradConfig, adagradConstants, adagradUpdateSum } from "./adagrad.ts";
import { type AdamConfig, type AdamwConfig, adamConstants, adamUpdateSum } from "./adam.ts";
import {
  KERAS_RMSPROP,
  type RmspropConfig,
  rmspropConstants,
  rmspropUpdateSum,
} from "./rmsprop.ts";
import { type LearningRateSchedule, learningRateAt } from "./schedule.ts";
import {
  hasVelocity,
  momentumUpdateSum,
  type SgdConfig,
  sgdConstants,
  sgdUpdateSum,
} from "./sgd.ts";

/**
 * An optimizer as plain data, so it can cross into a worker or a checkpoint; `optimizerFor`
 * turns it into the update function. Names, defaults and formulas are Keras 3's
 * (`keras.optimizers.*`), but RMSprop's is Keras 2's (ε outside the square root), as shardfit
 * has always trained; src/core/optim/spec.ts checks a user's spec.
 */
export type OptimizerSpec = (
  | ({ readonly type: "rmsprop" } & RmspropConfig)
  | ({ readonly type: "adam" } & AdamConfig)
  | ({ readonly type: "adamw" } & AdamwConfig)
  | ({ readonly type: "sgd" } & SgdConfig)
  | ({ readonly type: "adagrad" } & AdagradConfig)
) & {
  /** The learning rate of each step, from `learningRate` on (Keras's schedules); none: fixed. */
  readonly schedule?: LearningRateSchedule;
};

export type OptimizerName = OptimizerSpec["type"];

export interface Optimizer {
  readonly spec: OptimizerSpec;
  /**
   * Names of the state vectors, each as long as the parameters, in the order `update` takes
   * them (Keras's names for its optimizer variables; RMSprop's keeps its checkpoint name).
   */
  readonly stateNames: readonly string[];
  /** The state before the first update: zeros, or Adagrad's initial accumulator. */
  initialState(paramCount: number): Float32Array[];
  /**
   * The float64 constants of update `step` (1-based), in the order the SIMD kernels of
   * src/collective/ take them: computed once, so a kernel and `update` use the same numbers.
   */
  constants(step: number): readonly number[];
  /**
   * Update number `step` (1-based: Adam's bias correction counts it) over `[lo, hi)` with the
   * gradient Σ `grads` (summed in order, in float32): reads the current params and state,
   * writes the next ones (separate arrays, so a step that fails half-way leaves the current
   * state intact).
   */
  update(
    grads: readonly Float32Array[],
    params: Float32Array,
    state: readonly Float32Array[],
    nextParams: Float32Array,
    nextState: readonly Float32Array[],
    lo: number,
    hi: number,
    step: number,
  ): void;
}

export function rmsprop(
  learningRate = KERAS_RMSPROP.learningRate,
): Extract<OptimizerSpec, { type: "rmsprop" }> {
  return { ...KERAS_RMSPROP, type: "rmsprop", learningRate };
}

export function optimizerFor(spec: OptimizerSpec): Optimizer {
  const { schedule } = spec;
  const fixed = fixedRateOptimizer(spec);
  if (!schedule) return fixed;
  // Update `step` (1-based) uses the schedule after step − 1 updates, as Keras's iterations.
  const at = (step: number) =>
    fixedRateOptimizer({
      ...spec,
      learningRate: learningRateAt(schedule, spec.learningRate, step - 1),
    });
  return {
    ...fixed,
    constants: (step) => at(step).constants(step),
    update: (grads, params, state, nextParams, nextState, lo, hi, step) =>
      at(step).update(grads, params, state, nextParams, nextState, lo, hi, step),
  };
}

/** The optimizer at `spec.learningRate` for every step. */
function fixedRateOptimizer(spec: OptimizerSpec): Optimizer {
  const zeros = (names: readonly string[]) => (n: number) => names.map(() => new Float32Array(n));
  switch (spec.type) {
    case "rmsprop": {
      const stateNames = ["meanSquare"];
      return {
        spec,
        stateNames,
        initialState: zeros(stateNames),
        constants: () => rmspropConstants(spec),
        update(grads, params, state, nextParams, nextState, lo, hi) {
          rmspropUpdateSum(spec, grads, params, state[0], nextParams, nextState[0], lo, hi);
        },
      };
    }
    case "adam":
    case "adamw": {
      const stateNames = ["momentum", "velocity"];
      const weightDecay = spec.type === "adamw" ? spec.weightDecay : 0;
      const constants = (step: number) => adamConstants(spec, step, weightDecay);
      return {
        spec,
        stateNames,
        initialState: zeros(stateNames),
        constants,
        update(grads, params, [m, v], nextParams, [nextM, nextV], lo, hi, step) {
          adamUpdateSum(constants(step), grads, params, m, v, nextParams, nextM, nextV, lo, hi);
        },
      };
    }
    case "sgd": {
      const stateNames = hasVelocity(spec) ? ["momentum"] : [];
      const constants = () => sgdConstants(spec);
      return {
        spec,
        stateNames,
        initialState: zeros(stateNames),
        constants,
        update(grads, params, state, nextParams, nextState, lo, hi) {
          if (stateNames.length === 0) sgdUpdateSum(constants(), grads, params, nextParams, lo, hi);
          else
            momentumUpdateSum(
              constants(),
              grads,
              params,
              state[0],
              nextParams,
              nextState[0],
              lo,
              hi,
            );
        },
      };
    }
    case "adagrad": {
      const stateNames = ["accumulator"];
      const constants = () => adagradConstants(spec);
      return {
        spec,
        stateNames,
        constants,
        initialState: (n) => [new Float32Array(n).fill(spec.initialAccumulatorValue)],
        update(grads, params, state, nextParams, nextState, lo, hi) {
          adagradUpdateSum(constants(), grads, params, state[0], nextParams, nextState[0], lo, hi);
        },
      };
    }
  }
}
