import { summedGradient } from "./gradient-sum.ts";

/** Keras's SGD hyper-parameters (`keras.optimizers.SGD`). */
export interface SgdConfig {
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
}

export const KERAS_SGD: SgdConfig = { learningRate: 0.01, momentum: 0, nesterov: false };

/** Keras keeps a velocity vector only when there is momentum. */
export const hasVelocity = (config: SgdConfig) => config.momentum !== 0;

/** The constants the loops below and the SIMD kernel take: lr, momentum, nesterov (1 or 0). */
export function sgdConstants(config: SgdConfig): number[] {
  return [config.learningRate, config.momentum, config.nesterov ? 1 : 0];
}

/**
 * Plain gradient descent over `[start, end)` (Keras with momentum 0): w ← w − g·lr, with g
 * the sum of `grads` (in order, in float32); in float64, rounded on store.
 */
export function sgdUpdateSum(
  constants: readonly number[],
  grads: readonly Float32Array[],
  params: Float32Array,
  nextParams: Float32Array,
  start: number,
  end: number,
): void {
  const [grad, offset] = summedGradient(grads, start, end);
  sgdLoop(constants[0], grad, offset, params, nextParams, start, end);
}

/**
 * SGD with momentum in Keras's velocity form: v ← v·μ − g·lr; w ← w + v, or with Nesterov
 * w ← w + (v·μ − g·lr) (v the new velocity).
 */
export function momentumUpdateSum(
  constants: readonly number[],
  grads: readonly Float32Array[],
  params: Float32Array,
  velocity: Float32Array,
  nextParams: Float32Array,
  nextVelocity: Float32Array,
  start: number,
  end: number,
): void {
  const [grad, offset] = summedGradient(grads, start, end);
  const [lr, mu, nesterov] = constants;
  momentumLoop(
    lr,
    mu,
    nesterov !== 0,
    grad,
    offset,
    params,
    velocity,
    nextParams,
    nextVelocity,
    start,
    end,
  );
}

// Scalars as plain arguments (see rmsprop.ts: JavaScriptCore runs such loops fastest).
function sgdLoop(
  lr: number,
  grad: Float32Array,
  offset: number,
  params: Float32Array,
  nextParams: Float32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) nextParams[i] = params[i] - grad[i - offset] * lr;
}

function momentumLoop(
  lr: number,
  mu: number,
  nesterov: boolean,
  grad: Float32Array,
  offset: number,
  params: Float32Array,
  velocity: Float32Array,
  nextParams: Float32Array,
  nextVelocity: Float32Array,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) {
    const g = grad[i - offset];
    const v = velocity[i] * mu - g * lr;
    nextVelocity[i] = v;
    nextParams[i] = nesterov ? params[i] + (v * mu - g * lr) : params[i] + v;
  }
}
