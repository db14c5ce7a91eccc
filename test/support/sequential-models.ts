import { dropoutMasks } from "../../src/core/model/dropout.ts";
import { initParams } from "../../src/core/model/init.ts";
import { HE_NORMAL } from "../../src/core/model/initializers.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import {
  conv2d,
  dense,
  dropout,
  flatten,
  type ModelLayout,
  type ModelSpec,
  maxPooling2d,
  modelLayout,
  reshape,
  shapeSize,
} from "../../src/core/model/sequential.ts";
import { Rng } from "../../src/core/rng.ts";
import { tf } from "../../src/tf/backend.ts";
import { sequentialTensors } from "../../src/tf/sequential.ts";
import { finiteDifferencesOf, referenceSequentialLoss } from "./sequential-reference.ts";

/**
 * Small Sequential models covering every layer, padding and stride, with a batch of inputs,
 * labels, loss weights (the last row padding) and dropout masks, and tfjs-cpu autodiff of a
 * plain functional forward: the references of the hand-derived backward passes
 * (test/tf/sequential-backward.test.ts, test/worker/sequential-gemm.test.ts).
 */

/** Small models covering every layer, padding, stride and the dX paths (flipped conv, conv2dTranspose). */
export const MODELS: Record<string, ModelSpec> = {
  "conv valid relu → maxpool → dense": {
    inputShape: [6, 5, 2],
    layers: [
      conv2d(3, 3, { activation: "relu" }),
      maxPooling2d(2),
      flatten(),
      dense(4, { activation: "softmax" }),
    ],
  },
  "conv 3×2 (8 filters > 6 taps) stride 2 same → maxpool 3 stride 2 same → dropout → dense relu → dense":
    {
      inputShape: [7, 7, 1],
      layers: [
        conv2d(8, [3, 2], { strides: 2, padding: "same" }),
        maxPooling2d(3, { strides: 2, padding: "same" }),
        dropout(0.3),
        flatten(),
        dense(5, { activation: "relu" }),
        dense(3, { activation: "softmax" }),
      ],
    },
  "conv same, no bias → maxpool → conv 3×3×2 → maxpool (both dK from sparse dz) → dense": {
    inputShape: [9, 8, 1],
    layers: [
      conv2d(2, 3, { padding: "same", activation: "relu", useBias: false }),
      maxPooling2d(2),
      conv2d(3, 3, { padding: "same", activation: "relu" }),
      maxPooling2d(2, { padding: "same" }),
      flatten(),
      dense(3, { activation: "softmax" }),
    ],
  },
  "conv → conv stride 2 same → conv 2×3 stride 2 valid, no bias → flatten → dense": {
    inputShape: [9, 9, 1],
    layers: [
      conv2d(2, 3, { activation: "relu" }),
      conv2d(3, 3, { strides: 2, padding: "same", activation: "relu" }),
      conv2d(2, [2, 3], { strides: 2, useBias: false }),
      flatten(),
      dense(3, { activation: "softmax" }),
    ],
  },
  "conv stride [2,1] no bias → conv 4×2 same (flipped-kernel dX, uneven padding) → reshape → dense":
    {
      inputShape: [8, 6, 2],
      layers: [
        conv2d(4, 2, { strides: [2, 1], activation: "relu", useBias: false }),
        conv2d(3, [4, 2], { padding: "same", activation: "relu", kernelInitializer: HE_NORMAL }),
        reshape([60]),
        dense(3, { activation: "softmax" }),
      ],
    },
  "mlp 6→5→4→3": mlpSpec([5, 4], 6, 3),
};

export const BATCH = 5;

export interface Case {
  layout: ModelLayout;
  params: Float32Array;
  x: number[][];
  labels: number[];
  weights: number[];
  masks: Float32Array[];
  autodiff: Float32Array;
  fd: Float64Array;
  loss: number;
}

export function makeCase(spec: ModelSpec, seed: number): Omit<Case, "autodiff" | "fd" | "loss"> {
  const layout = modelLayout(spec);
  const rng = Rng.fromSeed(seed);
  const params = initParams(layout.spec, seed);
  // Non-zero biases so every term of the backward pass is exercised.
  for (const l of layout.layers)
    if (l.weights[1])
      for (let i = 0; i < l.weights[1].size; i++)
        params[l.weights[1].offset + i] = 0.2 * (rng.next() - 0.5);
  const size = shapeSize(layout.inputShape);
  // Every other model gets a mostly-zero input, as MNIST's: ties at zero after ReLU and pooling.
  const zeros = seed % 2 === 0 ? 0.7 : 0;
  const x = Array.from({ length: BATCH }, () =>
    Array.from({ length: size }, () => (rng.next() < zeros ? 0 : rng.next() * 2 - 0.5)),
  );
  const classes = layout.outputShape[0];
  const labels = x.map(() => rng.int(classes));
  // The last row is padding, as in a partial batch: zero weight, masked out of accuracy.
  const weights = x.map((_, i) => (i < BATCH - 1 ? 1 / (BATCH - 1) : 0));
  const masks = dropoutMasks(layout, BATCH, Rng.fromSeed(seed, 99));
  return { layout, params, x, labels, weights, masks };
}

/** tfjs autodiff of a straightforward functional forward (tf.conv2d, tf.maxPool, …), on cpu. */
export function autodiff(c: Omit<Case, "autodiff" | "fd" | "loss">): Float32Array {
  const params = sequentialTensors(c.layout, c.params);
  const grads = tf.tidy(() => {
    const x = tf.tensor(c.x.flat(), [BATCH, ...c.layout.inputShape]);
    const y = tf.oneHot(tf.tensor1d(c.labels, "int32"), c.layout.outputShape[0]).toFloat();
    const w = tf.tensor1d(c.weights);
    const f = (...ps: tf.Tensor[]) => {
      let a: tf.Tensor = x;
      let k = 0;
      let d = 0;
      for (const layer of c.layout.layers) {
        const s = layer.spec;
        if (s.kind === "conv2d") {
          a = tf.conv2d(
            a as tf.Tensor4D,
            ps[k++] as tf.Tensor4D,
            s.strides as [number, number],
            s.padding,
          );
          if (s.useBias) a = tf.add(a, ps[k++]);
        } else if (s.kind === "dense") {
          a = tf.matMul(a as tf.Tensor2D, ps[k++] as tf.Tensor2D);
          if (s.useBias) a = tf.add(a, ps[k++]);
        } else if (s.kind === "maxPooling2d") {
          a = tf.maxPool(
            a as tf.Tensor4D,
            s.poolSize as [number, number],
            s.strides as [number, number],
            s.padding,
          );
        } else if (s.kind === "dropout") {
          a = tf.mul(a, tf.tensor(c.masks[d++], a.shape));
        } else {
          a = tf.reshape(a, [BATCH, ...layer.outputShape]);
        }
        if ("activation" in s && s.activation === "relu") a = tf.relu(a);
      }
      return tf.sum(
        tf.mul(tf.losses.softmaxCrossEntropy(y, a, undefined, undefined, tf.Reduction.NONE), w),
      ) as tf.Scalar;
    };
    return tf.grads(f)(params);
  });
  const flat = new Float32Array(c.layout.size);
  c.layout.weights.forEach((wl, i) => {
    flat.set(grads[i].dataSync(), wl.offset);
  });
  tf.dispose([...grads, ...params]);
  return flat;
}

/**
 * Every model of {@link MODELS} as a case with its references — tfjs-cpu autodiff, float64
 * finite differences and the float64 loss — keyed by name (the case of model i has seed 11 + i).
 * Sets the cpu backend (autodiff runs there).
 */
export async function referenceCases(): Promise<Map<string, Case>> {
  await tf.setBackend("cpu");
  const cases = new Map<string, Case>();
  Object.entries(MODELS).forEach(([name, spec], i) => {
    const c = makeCase(spec, 11 + i);
    const loss = (p: ArrayLike<number>) =>
      referenceSequentialLoss(c.layout, p, c.x, c.labels, c.weights, c.masks);
    cases.set(name, {
      ...c,
      autodiff: autodiff(c),
      fd: finiteDifferencesOf(loss, c.params),
      loss: loss(c.params),
    });
  });
  return cases;
}
