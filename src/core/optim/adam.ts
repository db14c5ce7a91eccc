import { summedGradient } from "./gradient-sum.ts";

/** Keras's Adam hyper-parameters (`keras.optimizers.Adam`, without amsgrad). */
export interface AdamConfig {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** AdamW's: Adam's and the decoupled weight decay. */
export interface AdamwConfig extends AdamConfig {
  readonly weightDecay: number;
}

export const KERAS_ADAM: AdamConfig = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
};

export const KERAS_ADAMW: AdamwConfig = { ...KERAS_ADAM, weightDecay: 0.004 };

/**
 * The constants of update `step` (1-based), computed once per update in float64 and handed to
 * the loop below and to the SIMD kernel alike: the bias-corrected step size
 * α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), 1 − β₁, 1 − β₂, ε and the weight decay's lr·wd (0 for Adam).
 */
export function adamConstants(config: AdamConfig, step: number, weightDecay = 0): number[] {
  const { learningRate: lr, beta1, beta2, epsilon } = config;
  const stepSize = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
  return [stepSize, 1 - beta1, 1 - beta2, epsilon, lr * weightDecay];
}

/**
 * One Adam (or AdamW) update over `[start, end)` in Keras 3's form, with g the sum of `grads`
 * (in order, in float32): first AdamW's decay w ← w − w·lr·wd, then
 * m ← m + (g − m)(1 − β₁); v ← v + (g² − v)(1 − β₂); w ← w − m·α / (√v + ε).
 * Computed in float64 from the float32 inputs and rounded once on store; reads the current
 * weights and moments and writes the next ones to separate arrays (they may alias).
 */
export function adamUpdateSum(
  constants: readonly number[],
  grads: readonly Float32Array[],
  params: Float32Array,
  momentum: Float32Array,
  velocity: Float32Array,
  nextParams: Float32Array,
  nextMomentum: Float32Array,
  nextVelocity: Float32Array,
  start: number,
  end: number,
): void {
  const [grad, offset] = summedGradient(grads, start, end);
  const [stepSize, oneMinusBeta1, oneMinusBeta2, epsilon, decay] = constants;
  adamLoop(
    stepSize,
    oneMinusBeta1,
    oneMinusBeta2,
    epsilon,
    decay,
    grad,
    offset,
    params,
    momentum,
    velocity,
    nextParams,
    nextMomentum,
    nextVelocity,
    start,
    end,
  );
}

// Scalars as plain arguments (see rmsprop.ts: JavaScriptCore runs such loops fastest).
function adamLoop(
  stepSize: number,
  oneMinusBeta1: number,
  oneMinusBeta2: number,
  epsilon: number,
  decay: number,
  grad: Float32Array,
  offset: number,
  params: Float32Array,
  momentum: Float32Array,
  velocity: Float32Array,
  nextParams: Float32Array,
  nextMomentum: Float32Array,
  nextVelocity: Float32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    const g = grad[i - offset];
    const w = params[i] - params[i] * decay;
    const m = momentum[i] + (g - momentum[i]) * oneMinusBeta1;
    const v = velocity[i] + (g * g - velocity[i]) * oneMinusBeta2;
    nextMomentum[i] = m;
    nextVelocity[i] = v;
    nextParams[i] = w - (m * stepSize) / (Math.sqrt(v) + epsilon);
  }
}
