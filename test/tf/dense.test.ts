// The full tfjs registers the cpu backend the references run on (src/tf needs only tfjs-core).
import "@tensorflow/tfjs";
import { describe, expect, test } from "bun:test";
import { paramLayout } from "../../src/core/model/dense-stack.ts";
import { initParams } from "../../src/core/model/init.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { Rng } from "../../src/core/rng.ts";
import { tf, useWasmBackend } from "../../src/tf/backend.ts";
import { denseLossAndGrads, tensorsFromFlat } from "../../src/tf/dense.ts";
import {
  finiteDifferences,
  maxErrorRelativeToPeak,
  referenceGradient,
  referenceLoss,
} from "../support/reference.ts";

const [inputSize, classes] = [6, 3];
const spec = mlpSpec([5, 4], inputSize, classes);
const layout = paramLayout(spec);
const rng = Rng.fromSeed(7);
const batch = 8;
const x = Array.from({ length: batch }, () => Array.from({ length: inputSize }, () => rng.next()));
const labels = Array.from({ length: batch }, () => rng.int(classes));
// The last two rows are padding, as in a partial batch: zero weight, masked out of accuracy.
const weights = x.map((_, i) => (i < batch - 2 ? 1 / (batch - 2) : 0));
const params = initParams(spec, 3);
// Non-zero biases so every term of the backward pass is exercised.
for (const l of layout.layers)
  for (let u = 0; u < l.units; u++) params[l.biasOffset + u] = 0.1 * (rng.next() - 0.5);

function handGradients() {
  const tensors = tensorsFromFlat(layout, params);
  const xt = tf.tensor2d(x);
  const yt = tf.tidy(
    () => tf.oneHot(tf.tensor1d(labels, "int32"), classes).toFloat() as tf.Tensor2D,
  );
  const wt = tf.tensor1d(weights);
  const mask = tf.tensor1d(weights.map((w) => (w > 0 ? 1 : 0)));
  const r = denseLossAndGrads(tensors, xt, yt, wt, mask);
  const flat = new Float32Array(layout.size);
  layout.layers.forEach((l, i) => {
    flat.set(r.grads[2 * i].dataSync(), l.kernelOffset);
    flat.set(r.grads[2 * i + 1].dataSync(), l.biasOffset);
  });
  const loss = r.loss.dataSync()[0];
  tf.dispose([
    ...tensors.kernels,
    ...tensors.biases,
    xt,
    yt,
    wt,
    mask,
    r.loss,
    r.correct,
    ...r.grads,
  ]);
  return { flat, loss };
}

function autodiffGradients(): Float32Array {
  const tensors = tensorsFromFlat(layout, params);
  const all = layout.layers.flatMap((_, i) => [tensors.kernels[i], tensors.biases[i]]);
  const grads = tf.tidy(() => {
    const xt = tf.tensor2d(x);
    const yt = tf.oneHot(tf.tensor1d(labels, "int32"), classes).toFloat();
    const wt = tf.tensor1d(weights);
    const f = (...ps: tf.Tensor[]) => {
      let a: tf.Tensor = xt;
      for (let l = 0; l < layout.layers.length; l++) {
        const z = tf.add(tf.matMul(a, ps[2 * l] as tf.Tensor2D), ps[2 * l + 1]);
        a = l === layout.layers.length - 1 ? z : tf.relu(z);
      }
      return tf.sum(
        tf.mul(tf.losses.softmaxCrossEntropy(yt, a, undefined, undefined, tf.Reduction.NONE), wt),
      ) as tf.Scalar;
    };
    return tf.grads(f)(all);
  });
  const flat = new Float32Array(layout.size);
  layout.layers.forEach((l, i) => {
    flat.set(grads[2 * i].dataSync(), l.kernelOffset);
    flat.set(grads[2 * i + 1].dataSync(), l.biasOffset);
  });
  tf.dispose([...grads, ...all]);
  return flat;
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`hand-derived Dense backward (${backend} backend)`, () => {
    test("matches tfjs autodiff, finite differences and a float64 reference loss", async () => {
      if (backend === "wasm") await useWasmBackend();
      else await tf.setBackend("cpu");
      expect(tf.getBackend()).toBe(backend);
      const before = tf.memory().numTensors;
      const hand = handGradients();
      const auto = autodiffGradients();
      const fd = finiteDifferences(layout, params, x, labels, weights);
      expect(maxErrorRelativeToPeak(hand.flat, auto)).toBeLessThanOrEqual(1e-4);
      expect(maxErrorRelativeToPeak(hand.flat, fd)).toBeLessThanOrEqual(1e-4);
      expect(hand.loss).toBeCloseTo(referenceLoss(layout, params, x, labels, weights), 5);
      // Guards against a vacuous pass (an all-zero gradient would match nothing above anyway).
      expect(Math.max(...hand.flat.map(Math.abs))).toBeGreaterThan(1e-3);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}

test("the float64 backprop reference agrees with finite differences (it checks train())", () => {
  // `weights` is the mean over the first batch − 2 samples, which is what referenceGradient takes.
  const real = batch - 2;
  const fd = finiteDifferences(layout, params, x, labels, weights);
  const { loss, grad } = referenceGradient(layout, params, x.slice(0, real), labels.slice(0, real));
  expect(maxErrorRelativeToPeak(grad, fd)).toBeLessThanOrEqual(1e-7);
  expect(loss).toBeCloseTo(referenceLoss(layout, params, x, labels, weights), 12);
  expect(Math.max(...grad.map(Math.abs))).toBeGreaterThan(1e-3);
});
