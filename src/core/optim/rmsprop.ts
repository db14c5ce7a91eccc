import { summedGradient } from "./gradient-sum.ts";

/** Keras's RMSprop hyper-parameters (its defaults apart from the learning rate). */
export interface RmspropConfig {
  readonly learningRate: number;
  readonly rho: number;
  readonly epsilon: number;
}

export const KERAS_RMSPROP: RmspropConfig = { learningRate: 1e-3, rho: 0.9, epsilon: 1e-7 };

/** The constants the SIMD kernel takes: lr, ρ, 1 − ρ, ε (the loops below compute 1 − ρ alike). */
export function rmspropConstants(config: RmspropConfig): number[] {
  return [config.learningRate, config.rho, 1 - config.rho, config.epsilon];
}

/**
 * One RMSprop step over `[start, end)` in the form of Keras 2 / tf.keras (ε outside the square
 * root; Keras 3 and tfjs put it inside): ms ← ρ·ms + (1−ρ)·g²; w ← w − lr·g / (√ms + ε).
 *
 * Reads the current weights and accumulator and writes the next ones to separate arrays
 * (they may alias): the trainer double-buffers them so a failed step leaves the previous
 * state intact.
 */
export function rmspropUpdate(
  config: RmspropConfig,
  grad: Float32Array,
  params: Float32Array,
  meanSquare: Float32Array,
  nextParams: Float32Array,
  nextMeanSquare: Float32Array,
  start = 0,
  end = params.length,
): void {
  rmspropUpdateSum(config, [grad], params, meanSquare, nextParams, nextMeanSquare, start, end);
}

/**
 * The same step with g = the sum of `grads` (added in order, in float32, as a Float32Array
 * accumulator would), fused into one pass: the data-parallel reduce and update at once.
 */
export function rmspropUpdateSum(
  config: RmspropConfig,
  grads: readonly Float32Array[],
  params: Float32Array,
  meanSquare: Float32Array,
  nextParams: Float32Array,
  nextMeanSquare: Float32Array,
  start: number,
  end: number,
): void {
  const { learningRate: lr, rho, epsilon } = config;
  if (grads.length === 1) {
    updateOne(
      lr,
      rho,
      epsilon,
      grads[0],
      params,
      meanSquare,
      nextParams,
      nextMeanSquare,
      start,
      end,
      0,
    );
  } else if (grads.length === 2) {
    updateTwo(
      lr,
      rho,
      epsilon,
      grads[0],
      grads[1],
      params,
      meanSquare,
      nextParams,
      nextMeanSquare,
      start,
      end,
    );
  } else {
    const [sum, offset] = summedGradient(grads, start, end);
    updateOne(
      lr,
      rho,
      epsilon,
      sum,
      params,
      meanSquare,
      nextParams,
      nextMeanSquare,
      start,
      end,
      offset,
    );
  }
}

// Scalars and bounds as plain arguments, one small function per row count, no default
// parameters: with a destructured config object and default parameters in the same function,
// JavaScriptCore (Bun) ran this loop 4× slower, and a default `gradOffset` alone cost 1.6×
// (measured under Bun over 407k elements: 10.2 vs 6.4 ns per element).
function updateOne(
  lr: number,
  rho: number,
  epsilon: number,
  grad: Float32Array,
  params: Float32Array,
  meanSquare: Float32Array,
  nextParams: Float32Array,
  nextMeanSquare: Float32Array,
  start: number,
  end: number,
  gradOffset: number,
): void {
  const decay = 1 - rho;
  for (let i = start; i < end; i++) {
    const g = grad[i - gradOffset];
    const m = rho * meanSquare[i] + decay * g * g;
    nextMeanSquare[i] = m;
    nextParams[i] = params[i] - (lr * g) / (Math.sqrt(m) + epsilon);
  }
}

function updateTwo(
  lr: number,
  rho: number,
  epsilon: number,
  g0: Float32Array,
  g1: Float32Array,
  params: Float32Array,
  meanSquare: Float32Array,
  nextParams: Float32Array,
  nextMeanSquare: Float32Array,
  start: number,
  end: number,
): void {
  const decay = 1 - rho;
  for (let i = start; i < end; i++) {
    const g = Math.fround(g0[i] + g1[i]);
    const m = rho * meanSquare[i] + decay * g * g;
    nextMeanSquare[i] = m;
    nextParams[i] = params[i] - (lr * g) / (Math.sqrt(m) + epsilon);
  }
}
