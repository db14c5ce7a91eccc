import type { OptimizerSpec } from "../../src/core/optim/optimizer.ts";
import { KERAS_OPTIMIZERS } from "../../src/core/optim/spec.ts";
import { rmspropStep } from "./reference.ts";

/** Keras's defaults and settings away from them, for every optimizer. */
export const OPTIMIZER_CASES: [string, OptimizerSpec][] = [
  ["rmsprop", KERAS_OPTIMIZERS.rmsprop],
  ["adam", KERAS_OPTIMIZERS.adam],
  [
    "adam β₁ 0.5 β₂ 0.9 lr 0.01",
    { ...KERAS_OPTIMIZERS.adam, beta1: 0.5, beta2: 0.9, learningRate: 0.01 },
  ],
  ["adamw", KERAS_OPTIMIZERS.adamw],
  ["adamw wd 0.5 lr 0.05", { ...KERAS_OPTIMIZERS.adamw, weightDecay: 0.5, learningRate: 0.05 }],
  ["sgd", KERAS_OPTIMIZERS.sgd],
  ["sgd momentum 0.9", { ...KERAS_OPTIMIZERS.sgd, momentum: 0.9 }],
  ["sgd nesterov 0.9", { ...KERAS_OPTIMIZERS.sgd, momentum: 0.9, nesterov: true }],
  ["adagrad", KERAS_OPTIMIZERS.adagrad],
  [
    "adagrad lr 0.1 from 0",
    { ...KERAS_OPTIMIZERS.adagrad, learningRate: 0.1, initialAccumulatorValue: 0 },
  ],
];

/** The state before the first step, in float64: zeros, or Adagrad's initial accumulator. */
export function referenceState(spec: OptimizerSpec, n: number): Float64Array[] {
  switch (spec.type) {
    case "rmsprop":
      return [new Float64Array(n)];
    case "adam":
    case "adamw":
      return [new Float64Array(n), new Float64Array(n)];
    case "sgd":
      return spec.momentum === 0 ? [] : [new Float64Array(n)];
    case "adagrad":
      return [new Float64Array(n).fill(spec.initialAccumulatorValue)];
  }
}

/**
 * Step `t` (1-based) of Keras 3's `keras.optimizers.*` update rule, in float64, in place,
 * written from Keras's documented formulas (not from src/core/optim).
 */
export function referenceStep(
  spec: OptimizerSpec,
  t: number,
  w: Float64Array,
  state: Float64Array[],
  g: ArrayLike<number>,
): void {
  switch (spec.type) {
    case "rmsprop":
      rmspropStep({ lr: spec.learningRate, rho: spec.rho, eps: spec.epsilon }, w, state[0], g);
      return;
    case "adam":
    case "adamw": {
      const { learningRate: lr, beta1, beta2, epsilon } = spec;
      const [m, v] = state;
      for (let i = 0; i < w.length; i++) {
        if (spec.type === "adamw") w[i] -= w[i] * spec.weightDecay * lr;
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] ** 2;
        // The paper's form with m̂, v̂; Keras adds ε to √v, which is ε̂ = ε/√(1 − β₂ᵗ) here.
        const mHat = m[i] / (1 - beta1 ** t);
        const vHat = v[i] / (1 - beta2 ** t);
        const epsilonHat = epsilon / Math.sqrt(1 - beta2 ** t);
        w[i] -= (lr * mHat) / (Math.sqrt(vHat) + epsilonHat);
      }
      return;
    }
    case "sgd": {
      const { learningRate: lr, momentum, nesterov } = spec;
      for (let i = 0; i < w.length; i++) {
        if (momentum === 0) {
          w[i] -= lr * g[i];
          continue;
        }
        const v = state[0];
        v[i] = momentum * v[i] - lr * g[i];
        w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
      }
      return;
    }
    case "adagrad": {
      const a = state[0];
      for (let i = 0; i < w.length; i++) {
        a[i] += g[i] ** 2;
        w[i] -= (spec.learningRate * g[i]) / Math.sqrt(a[i] + spec.epsilon);
      }
      return;
    }
  }
}
