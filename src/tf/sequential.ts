import * as tf from "@tensorflow/tfjs";
import {
  hasRelu,
  type LayerLayout,
  type ModelLayout,
  shapeSize,
} from "../core/model/sequential.ts";
import { conv2dBackward, conv2dForwardRelu } from "./conv2d.ts";
import { maxPoolBackward, maxPoolForward } from "./max-pool.ts";

/**
 * Loss and hand-derived gradients of any Sequential model of core/model on tfjs, for the cpu
 * and wasm backends (tfjs's own autodiff cannot train a conv on wasm: no Conv2DBackpropFilter).
 * The loss is the weighted categorical cross-entropy of a final softmax Dense, the gradients
 * come back in flat-layout order.
 */

export interface BatchGradients {
  /** Σᵢ wᵢ·lossᵢ over the batch. */
  readonly loss: tf.Scalar;
  /** Σᵢ [argmax zᵢ = argmax yᵢ]·maskᵢ: correct predictions among the real (unpadded) rows. */
  readonly correct: tf.Scalar;
  /** Gradients of `loss` in flat-layout order: each layer's kernel, then its bias. */
  readonly grads: tf.Tensor[];
}

/**
 * Called after each layer's forward and backward pass with e.g. `"conv2d_Conv2D1 forward"`
 * (bench/conv.ts times the step's phases with it: wasm kernels run synchronously, so the time
 * between two calls is the phase's). Unset outside benchmarks.
 */
let phaseProbe: ((phase: string) => void) | undefined;

export function setSequentialPhaseProbe(probe: ((phase: string) => void) | undefined): void {
  phaseProbe = probe;
}

/** One tensor per weight, in flat order and with its Keras shape; the caller disposes them. */
export function sequentialTensors(layout: ModelLayout, flat: Float32Array): tf.Tensor[] {
  if (flat.length !== layout.size) {
    throw new RangeError(`expected ${layout.size} parameters for this layout, got ${flat.length}`);
  }
  return layout.weights.map((w) =>
    tf.tensor(flat.subarray(w.offset, w.offset + w.size), [...w.shape]),
  );
}

/** Index of each layer's kernel among the layout's weights (−1 for layers without weights). */
function weightIndices(layout: ModelLayout): number[] {
  let next = 0;
  return layout.layers.map((l) => {
    const index = l.weights.length > 0 ? next : -1;
    next += l.weights.length;
    return index;
  });
}

interface Trace {
  /** Input of each layer; `inputs[i + 1]` is layer i's output. */
  readonly inputs: tf.Tensor[];
  /** The last layer's pre-softmax output. */
  readonly logits: tf.Tensor2D;
}

/**
 * ReLU, or nothing: linear, the final softmax (fused into the loss), or a conv (its ReLU is
 * fused into {@link conv2dForwardRelu}).
 */
function activate(z: tf.Tensor, layer: LayerLayout): tf.Tensor {
  const spec = layer.spec;
  return spec.kind === "dense" && spec.activation === "relu" ? tf.relu(z) : z;
}

function forwardLayer(
  layer: LayerLayout,
  a: tf.Tensor,
  params: readonly tf.Tensor[],
  w: number,
  mask: tf.Tensor | undefined,
): tf.Tensor {
  const spec = layer.spec;
  const batch = a.shape[0];
  switch (spec.kind) {
    case "conv2d": {
      const bias = spec.useBias ? (params[w + 1] as tf.Tensor1D) : undefined;
      return conv2dForwardRelu(a as tf.Tensor4D, params[w] as tf.Tensor4D, bias, spec);
    }
    case "dense": {
      const z = tf.matMul(a as tf.Tensor2D, params[w] as tf.Tensor2D);
      return spec.useBias ? tf.add(z, params[w + 1]) : z;
    }
    case "maxPooling2d":
      return maxPoolForward(a as tf.Tensor4D, spec);
    case "flatten":
    case "reshape":
      return tf.reshape(a, [batch, ...layer.outputShape]);
    case "dropout":
      return mask ? tf.mul(a, mask) : a;
  }
}

/** Forward pass keeping every layer's input; dropout masks (training) may be given. */
function trace(
  layout: ModelLayout,
  params: readonly tf.Tensor[],
  x: tf.Tensor,
  masks: readonly tf.Tensor[],
): Trace {
  const indices = weightIndices(layout);
  const last = layout.layers.length - 1;
  const inputs: tf.Tensor[] = [tf.reshape(x, [x.shape[0], ...layout.inputShape])];
  let dropout = 0;
  layout.layers.forEach((layer, i) => {
    const mask = layer.spec.kind === "dropout" ? masks[dropout++] : undefined;
    const z = forwardLayer(layer, inputs[i], params, indices[i], mask);
    inputs.push(activate(z, layer));
    phaseProbe?.(`${layer.name} forward`);
  });
  return { inputs, logits: inputs[last + 1] as tf.Tensor2D };
}

function requireSoftmaxOutput(layout: ModelLayout): void {
  const spec = layout.layers[layout.layers.length - 1].spec;
  if (spec.kind !== "dense" || spec.activation !== "softmax") {
    throw new Error(
      `sequentialLossAndGrads: the last layer must be a softmax Dense (categorical cross-entropy), got ${spec.kind}${"activation" in spec ? ` with ${spec.activation}` : ""}`,
    );
  }
}

/** Logits (pre-softmax outputs) for inference: dropout is the identity. */
export function sequentialLogits(
  layout: ModelLayout,
  params: readonly tf.Tensor[],
  x: tf.Tensor,
): tf.Tensor2D {
  requireSoftmaxOutput(layout);
  return tf.tidy(() => trace(layout, params, x, []).logits);
}

interface LayerGradients {
  /** Kernel, then bias (if any). */
  readonly weights: tf.Tensor[];
  /** ∂loss/∂(layer input); omitted for the first layer. */
  readonly input?: tf.Tensor;
}

/**
 * Backward through one layer, from ∂loss/∂(its output) (with the layer's ReLU derivative
 * already applied if `reluApplied`: see {@link poolTakesRelu}).
 */
function backwardLayer(
  layer: LayerLayout,
  input: tf.Tensor,
  output: tf.Tensor,
  dOut: tf.Tensor,
  params: readonly tf.Tensor[],
  w: number,
  mask: tf.Tensor | undefined,
  needInput: boolean,
  reluApplied: boolean,
): LayerGradients {
  const spec = layer.spec;
  switch (spec.kind) {
    case "conv2d":
    case "dense": {
      // ReLU'(z) is 1 where its output is positive; linear and the fused softmax pass through.
      const relu = spec.activation === "relu" && !reluApplied;
      const dz = relu ? tf.mul(dOut, tf.step(output)) : dOut;
      if (spec.kind === "conv2d") {
        const g = conv2dBackward(
          input as tf.Tensor4D,
          params[w] as tf.Tensor4D,
          dz as tf.Tensor4D,
          spec,
          { bias: spec.useBias, inputGradient: needInput },
        );
        return { weights: g.bias ? [g.kernel, g.bias] : [g.kernel], input: g.x };
      }
      // Explicit transposes: wasm's transposeA matMul is ~15× slower.
      const kernel = tf.matMul(tf.transpose(input), dz as tf.Tensor2D);
      const weights = spec.useBias ? [kernel, tf.sum(dz, 0)] : [kernel];
      const dIn = needInput ? tf.matMul(dz as tf.Tensor2D, tf.transpose(params[w])) : undefined;
      return { weights, input: dIn };
    }
    case "maxPooling2d":
      return {
        weights: [],
        input: maxPoolBackward(input as tf.Tensor4D, dOut as tf.Tensor4D, spec),
      };
    case "flatten":
    case "reshape":
      return { weights: [], input: tf.reshape(dOut, input.shape) };
    case "dropout":
      return { weights: [], input: mask ? tf.mul(dOut, mask) : dOut };
  }
}

/**
 * Whether layer i is a max-pool fed by a ReLU layer, whose ReLU derivative it then applies on
 * its own (pooled) grid: dy·step(pooled output). Exact, since each window's gradient goes to
 * its maximum, whose value is the pooled output, and a quarter of the work for 2×2 pooling.
 */
function poolTakesRelu(layout: ModelLayout, i: number): boolean {
  return layout.layers[i].spec.kind === "maxPooling2d" && i > 0 && hasRelu(layout.layers[i - 1]);
}

/** The dropout masks as tensors `[B, …layer input shape]`, checked against the layout. */
function dropoutTensors(
  layout: ModelLayout,
  batch: number,
  masks: readonly Float32Array[] | undefined,
): tf.Tensor[] {
  if (!masks) return [];
  const layers = layout.layers.filter((l) => l.spec.kind === "dropout");
  if (masks.length !== layers.length) {
    throw new RangeError(
      `expected ${layers.length} dropout masks (one per Dropout layer), got ${masks.length}`,
    );
  }
  return layers.map((layer, i) => {
    const shape = [batch, ...layer.inputShape];
    if (masks[i].length !== shapeSize(shape)) {
      throw new RangeError(
        `dropout mask ${i} (${layer.name}): expected ${shape.join("×")} values, got ${masks[i].length}`,
      );
    }
    return tf.tensor(masks[i], shape);
  });
}

export interface SequentialStepOptions {
  /**
   * Dropout masks for this batch (core/model/dropout.ts `dropoutMasks`), one per Dropout layer;
   * without them Dropout is the identity.
   */
  readonly dropoutMasks?: readonly Float32Array[];
}

/**
 * Loss, correct count and gradients of `layout`'s model on one batch. `x` is `[B, …]` with
 * B·(input size) values (flat `[B, 784]` rows serve a `[28, 28, 1]` input as they are),
 * `oneHot` `[B, classes]`; `weights` are per-sample loss weights (1/B for real rows, 0 for
 * padding), `mask` marks real rows for the accuracy count. Gradients are in flat-layout order
 * (kernel, then bias, for each layer with weights).
 */
export function sequentialLossAndGrads(
  layout: ModelLayout,
  params: readonly tf.Tensor[],
  x: tf.Tensor,
  oneHot: tf.Tensor2D,
  weights: tf.Tensor1D,
  mask: tf.Tensor1D,
  options: SequentialStepOptions = {},
): BatchGradients {
  requireSoftmaxOutput(layout);
  const batch = x.shape[0];
  return tf.tidy(() => {
    const masks = dropoutTensors(layout, batch, options.dropoutMasks);
    const { inputs, logits } = trace(layout, params, x, masks);
    const logProbs = tf.logSoftmax(logits);
    const loss = tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(oneHot, logProbs), 1)), weights)) as tf.Scalar;
    const hits = tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(oneHot, 1)), "float32");
    const correct = tf.sum(tf.mul(hits, mask)) as tf.Scalar;
    phaseProbe?.("loss");

    // d loss / d logits = wᵢ·(softmax(zᵢ) − yᵢ)
    let d: tf.Tensor = tf.mul(tf.sub(tf.exp(logProbs), oneHot), tf.expandDims(weights, 1));
    const indices = weightIndices(layout);
    const grads: tf.Tensor[] = new Array(layout.weights.length);
    let dropout = masks.length;
    let reluApplied = false;
    for (let i = layout.layers.length - 1; i >= 0; i--) {
      const layer = layout.layers[i];
      const m = layer.spec.kind === "dropout" ? masks[--dropout] : undefined;
      const takesRelu = poolTakesRelu(layout, i);
      const dOut = takesRelu ? tf.mul(d, tf.step(inputs[i + 1])) : d;
      const g = backwardLayer(
        layer,
        inputs[i],
        inputs[i + 1],
        dOut,
        params,
        indices[i],
        m,
        i > 0,
        reluApplied,
      );
      reluApplied = takesRelu;
      phaseProbe?.(`${layer.name} backward`);
      g.weights.forEach((t, k) => {
        grads[indices[i] + k] = t;
      });
      if (g.input) d = g.input;
    }
    return { loss, correct, grads };
  });
}
