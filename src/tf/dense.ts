import * as tf from "@tensorflow/tfjs-core";
import type { ParamLayout } from "../core/model/dense-stack.ts";

/** tfjs views of the flat parameter vector, one kernel and one bias per layer. */
export interface DenseTensors {
  readonly kernels: tf.Tensor2D[];
  readonly biases: tf.Tensor1D[];
}

/** Copies the flat vector into new tensors; the caller owns (and disposes) them. */
export function tensorsFromFlat(layout: ParamLayout, flat: Float32Array): DenseTensors {
  const kernels = layout.layers.map((l) =>
    tf.tensor2d(flat.subarray(l.kernelOffset, l.kernelOffset + l.inputs * l.units), [
      l.inputs,
      l.units,
    ]),
  );
  const biases = layout.layers.map((l) =>
    tf.tensor1d(flat.subarray(l.biasOffset, l.biasOffset + l.units)),
  );
  return { kernels, biases };
}

/** Logits of the Dense stack: ReLU between layers, no softmax at the end. */
export function denseLogits(params: DenseTensors, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let a = x;
    const last = params.kernels.length - 1;
    for (let l = 0; l <= last; l++) {
      const z = tf.add(tf.matMul(a, params.kernels[l]), params.biases[l]) as tf.Tensor2D;
      a = l === last ? z : tf.relu(z);
    }
    return a;
  });
}

/** Weighted categorical cross-entropy, Σᵢ wᵢ·(−Σₖ yᵢₖ log softmax(zᵢ)ₖ). */
export function weightedCrossEntropy(
  logits: tf.Tensor2D,
  oneHot: tf.Tensor2D,
  weights: tf.Tensor1D,
): tf.Scalar {
  return tf.tidy(() => {
    const perSample = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
    return tf.sum(tf.mul(perSample, weights)) as tf.Scalar;
  });
}

export interface BatchGradients {
  /** Σᵢ wᵢ·lossᵢ over the batch. */
  readonly loss: tf.Scalar;
  /** Σᵢ [argmax zᵢ = argmax yᵢ]·maskᵢ: correct predictions among the real (unpadded) rows. */
  readonly correct: tf.Scalar;
  /** Gradients of `loss` in flat-layout order: kernel₀, bias₀, kernel₁, bias₁, … */
  readonly grads: tf.Tensor[];
}

/**
 * Loss and gradients of a Dense stack with a hand-derived backward pass.
 *
 * tfjs's autodiff computes dW = xᵀ·dy with `matMul(x, dy, transposeA=true)`, which the wasm
 * backend runs ~15× slower than the same product after an explicit `tf.transpose`; the
 * backward here only uses plain matMuls. `weights` are per-sample loss weights (1/B for real
 * rows, 0 for padding), `mask` marks real rows for the accuracy count.
 */
export function denseLossAndGrads(
  params: DenseTensors,
  x: tf.Tensor2D,
  oneHot: tf.Tensor2D,
  weights: tf.Tensor1D,
  mask: tf.Tensor1D,
): BatchGradients {
  return tf.tidy(() => {
    const { kernels, biases } = params;
    const last = kernels.length - 1;
    const inputs: tf.Tensor2D[] = [x];
    // xᵀ serves the first layer twice: forward as (Kᵀ·xᵀ)ᵀ and backward as dK = xᵀ·dz. In
    // that form the wasm matMul (XNNPACK) packs the small xᵀ instead of re-packing the large
    // first kernel, which is a new tensor every step (measured ~0.3 ms of a batch-64 step).
    const xT = tf.transpose(x);
    let logits: tf.Tensor2D = x;
    for (let l = 0; l <= last; l++) {
      const product =
        l === 0
          ? tf.transpose(tf.matMul(tf.transpose(kernels[0]), xT))
          : tf.matMul(inputs[l], kernels[l]);
      const z = tf.add(product, biases[l]) as tf.Tensor2D;
      if (l === last) logits = z;
      else inputs.push(tf.relu(z));
    }
    const logProbs = tf.logSoftmax(logits);
    const loss = tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(oneHot, logProbs), 1)), weights)) as tf.Scalar;
    const hits = tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(oneHot, 1)), "float32");
    const correct = tf.sum(tf.mul(hits, mask)) as tf.Scalar;

    // d loss / d logits = wᵢ·(softmax(zᵢ) − yᵢ)
    let dz = tf.mul(tf.sub(tf.exp(logProbs), oneHot), tf.expandDims(weights, 1)) as tf.Tensor2D;
    const grads: tf.Tensor[] = new Array(2 * kernels.length);
    for (let l = last; l >= 0; l--) {
      grads[2 * l] = tf.matMul(l === 0 ? xT : tf.transpose(inputs[l]), dz);
      grads[2 * l + 1] = tf.sum(dz, 0);
      if (l > 0) {
        const da = tf.matMul(dz, tf.transpose(kernels[l]));
        // ReLU'(z) is 1 where its output is positive.
        dz = tf.mul(da, tf.step(inputs[l])) as tf.Tensor2D;
      }
    }
    return { loss, correct, grads };
  });
}
