import { summedGradient } from "./gradient-sum.ts";

/** Keras's Adagrad hyper-parameters (`keras.optimizers.Adagrad`). */
export interface AdagradConfig {
  readonly learningRate: number;
  /** What the accumulator holds before the first step. */
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
}

export const KERAS_ADAGRAD: AdagradConfig = {
  learningRate: 1e-3,
  initialAccumulatorValue: 0.1,
  epsilon: 1e-7,
};

/** The constants the loop below and the SIMD kernel take: lr, ε. */
export function adagradConstants(config: AdagradConfig): number[] {
  return [config.learningRate, config.epsilon];
}

/**
 * One Adagrad update over `[start, end)` in Keras's form (ε inside the square root), with g
 * the sum of `grads` (in order, in float32): a ← a + g²; w ← w − lr·g / √(a + ε). In float64,
 * rounded on store; reads the current state and writes the next (the arrays may alias).
 */
export function adagradUpdateSum(
  constants: readonly number[],
  grads: readonly Float32Array[],
  params: Float32Array,
  accumulator: Float32Array,
  nextParams: Float32Array,
  nextAccumulator: Float32Array,
  start: number,
  end: number,
): void {
  const [grad, offset] = summedGradient(grads, start, end);
  adagradLoop(
    constants[0],
    constants[1],
    grad,
    offset,
    params,
    accumulator,
    nextParams,
    nextAccumulator,
    start,
    end,
  );
}

// Scalars as plain arguments (see rmsprop.ts: JavaScriptCore runs such loops fastest).
function adagradLoop(
  lr: number,
  epsilon: number,
  grad: Float32Array,
  offset: number,
  params: Float32Array,
  accumulator: Float32Array,
  nextParams: Float32Array,
  nextAccumulator: Float32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    const g = grad[i - offset];
    const a = accumulator[i] + g * g;
    nextAccumulator[i] = a;
    nextParams[i] = params[i] - (lr * g) / Math.sqrt(a + epsilon);
  }
}
