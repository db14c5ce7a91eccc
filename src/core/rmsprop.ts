/** Keras's RMSprop hyper-parameters (its defaults apart from the learning rate). */
export interface RmspropConfig {
  readonly learningRate: number;
  readonly rho: number;
  readonly epsilon: number;
}

export const KERAS_RMSPROP: RmspropConfig = { learningRate: 1e-3, rho: 0.9, epsilon: 1e-7 };

/**
 * One RMSprop step over `[start, end)`, Keras's form (eps outside the square root, unlike
 * tfjs's): ms ← ρ·ms + (1−ρ)·g²; w ← w − lr·g / (√ms + ε).
 *
 * Reads the current weights and accumulator and writes the next ones to separate arrays
 * (they may alias): the trainer double-buffers them so a failed step leaves the previous
 * state intact.
 */
export function rmspropUpdate(
  config: RmspropConfig,
  grad: Float32Array,
  params: Float32Array,
  ms: Float32Array,
  nextParams: Float32Array,
  nextMs: Float32Array,
  start = 0,
  end = params.length,
): void {
  updateRange(
    config.learningRate,
    config.rho,
    config.epsilon,
    grad,
    params,
    ms,
    nextParams,
    nextMs,
    start,
    end,
  );
}

// Scalars and bounds as plain arguments: with a destructured config object and default
// parameters in the same function, JavaScriptCore (Bun) ran this loop 4× slower.
function updateRange(
  learningRate: number,
  rho: number,
  epsilon: number,
  grad: Float32Array,
  params: Float32Array,
  ms: Float32Array,
  nextParams: Float32Array,
  nextMs: Float32Array,
  start: number,
  end: number,
): void {
  const decay = 1 - rho;
  for (let i = start; i < end; i++) {
    const g = grad[i];
    const m = rho * ms[i] + decay * g * g;
    nextMs[i] = m;
    nextParams[i] = params[i] - (learningRate * g) / (Math.sqrt(m) + epsilon);
  }
}
