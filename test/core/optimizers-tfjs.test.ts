import { beforeAll, describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { type OptimizerSpec, optimizerFor } from "../../src/core/optim/optimizer.ts";
import { KERAS_OPTIMIZERS } from "../../src/core/optim/spec.ts";
import { mulberry } from "../support/random.ts";
import { maxAbsDiff } from "../support/reference.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/**
 * Where tfjs's optimizer follows the same formula, ours and tfjs's (cpu backend, float32)
 * take the same steps. ε cannot match for Adam (tfjs adds it to √v̂, Keras to √v, so tfjs's
 * is Keras's ε·√(1 − β₂ᵗ)) nor RMSprop (tfjs puts it inside the square root, Keras 2 outside):
 * there both use ε = 1e-12, negligible against gradients of 0.01–1. tfjs has no AdamW.
 */
const { adam, sgd, adagrad, rmsprop } = KERAS_OPTIMIZERS;
const CASES: [string, OptimizerSpec, () => tf.Optimizer][] = [
  [
    "adam β₁ 0.8 β₂ 0.99 (ε 1e-12)",
    { ...adam, beta1: 0.8, beta2: 0.99, learningRate: 0.01, epsilon: 1e-12 },
    () => tf.train.adam(0.01, 0.8, 0.99, 1e-12),
  ],
  ["sgd", { ...sgd, learningRate: 0.05 }, () => tf.train.sgd(0.05)],
  [
    "sgd momentum 0.9 (tf.train.momentum)",
    { ...sgd, momentum: 0.9 },
    () => tf.train.momentum(0.01, 0.9),
  ],
  [
    "sgd Nesterov 0.9",
    { ...sgd, momentum: 0.9, nesterov: true },
    () => tf.train.momentum(0.01, 0.9, true),
  ],
  // tfjs's Adagrad takes ε from the backend: 1e-7 on float32, Keras's default.
  ["adagrad", { ...adagrad, learningRate: 0.05 }, () => tf.train.adagrad(0.05, 0.1)],
  [
    "rmsprop (ε 1e-12)",
    { ...rmsprop, epsilon: 1e-12 },
    () => tf.train.rmsprop(1e-3, 0.9, 0, 1e-12),
  ],
];

describe.each(CASES)("%s against tfjs", (_, spec, tfOptimizer) => {
  test("eight steps end at the same weights", () => {
    const n = 50;
    const rand = mulberry(17);
    const w0 = Float32Array.from({ length: n }, () => rand() - 0.5);
    const grads = Array.from({ length: 8 }, () =>
      Float32Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * 10 ** (-2 * rand())),
    );
    const optimizer = optimizerFor(spec);
    const params = w0.slice();
    const state = optimizer.initialState(n);
    grads.forEach((g, t) => {
      optimizer.update([g], params, state, params, state, 0, n, t + 1);
    });

    const theirs = tfOptimizer();
    const variable = tf.variable(tf.tensor1d(w0));
    for (const g of grads) {
      tf.tidy(() => theirs.applyGradients({ [variable.name]: tf.tensor1d(g) }));
    }
    const expected = variable.dataSync() as Float32Array;
    const moved = maxAbsDiff(expected, w0);
    expect(moved).toBeGreaterThan(1e-3);
    // float32 rounding of a few steps of differently ordered operations.
    expect(maxAbsDiff(params, expected)).toBeLessThan(5e-7);
    theirs.dispose();
    variable.dispose();
  });
});
