import * as tf from "@tensorflow/tfjs-core";
import { type ActivationName, ELU_ALPHA } from "../core/model/activations.ts";
import {
  type Activation,
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
 * The loss is the caller's (a {@link ScoreOutputs}: core/loss in plain TS, the same code as the
 * gemm step's), given the last layer's outputs; the gradients come back in flat-layout order.
 */

/**
 * The loss on the last layer's outputs `[B × units]`: returns what the caller wants back (its
 * loss, its hits) and writes ∂loss/∂outputs into `gradient`.
 */
export type ScoreOutputs<R> = (outputs: Float32Array, gradient: Float32Array) => R;

export interface BatchGradients<R> {
  /** What the score returned. */
  readonly score: R;
  /** Gradients of the loss in flat-layout order: each layer's kernel, then its bias. */
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
  /** Input of each layer; `inputs[i + 1]` is layer i's output (after its activation). */
  readonly inputs: tf.Tensor[];
  /** Each layer's output before its activation, kept only where the backward reads it (gelu). */
  readonly preActivations: (tf.Tensor | undefined)[];
}

/**
 * The activation layer i applies: its own, or for the last layer `last` when given (the
 * activation a fused loss applies itself), "linear" for layers without one.
 */
function activationOf(layout: ModelLayout, i: number, last?: ActivationName): Activation {
  if (last && i === layout.layers.length - 1) return last;
  const spec = layout.layers[i].spec;
  return spec.kind === "dense" || spec.kind === "conv2d" ? spec.activation : "linear";
}

/** f(z) over the last axis; a conv's ReLU is already fused into {@link conv2dForwardRelu}. */
function activate(z: tf.Tensor, activation: Activation, layer: LayerLayout): tf.Tensor {
  switch (activation) {
    case "linear":
      return z;
    case "relu":
      return layer.spec.kind === "conv2d" ? z : tf.relu(z);
    case "sigmoid":
      return tf.sigmoid(z);
    case "tanh":
      return tf.tanh(z);
    case "softmax":
      return tf.softmax(z);
    case "elu":
      return tf.elu(z);
    case "gelu":
      // Keras's exact gelu: x·Φ(x) = ½x(1 + erf(x/√2)).
      return tf.mul(tf.mul(z, 0.5), tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1));
  }
}

/** dy·f′ given the forward output y (and, for gelu, its input z). */
function activationBackward(
  dy: tf.Tensor,
  activation: Activation,
  y: tf.Tensor,
  z: tf.Tensor | undefined,
): tf.Tensor {
  switch (activation) {
    case "linear":
      return dy;
    case "relu":
      return tf.mul(dy, tf.step(y));
    case "sigmoid":
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case "tanh":
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case "softmax":
      return tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)));
    case "elu":
      // f′ = 1 for x > 0, α·eˣ = y + α otherwise.
      return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, ELU_ALPHA)));
    case "gelu": {
      if (!z) throw new Error("gelu backward needs the forward input");
      // Φ(x) + x·φ(x)
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1), 0.5);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(z), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return tf.mul(dy, tf.add(cdf, tf.mul(z, pdf)));
    }
  }
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

/**
 * Forward pass keeping every layer's input; dropout masks (training) may be given; `last`
 * replaces the last layer's activation (see {@link activationOf}).
 */
function trace(
  layout: ModelLayout,
  params: readonly tf.Tensor[],
  x: tf.Tensor,
  masks: readonly tf.Tensor[],
  last?: ActivationName,
): Trace {
  const indices = weightIndices(layout);
  const inputs: tf.Tensor[] = [tf.reshape(x, [x.shape[0], ...layout.inputShape])];
  const preActivations: (tf.Tensor | undefined)[] = [];
  let dropout = 0;
  layout.layers.forEach((layer, i) => {
    const mask = layer.spec.kind === "dropout" ? masks[dropout++] : undefined;
    const z = forwardLayer(layer, inputs[i], params, indices[i], mask);
    const activation = activationOf(layout, i, last);
    preActivations.push(activation === "gelu" ? z : undefined);
    inputs.push(activate(z, activation, layer));
    phaseProbe?.(`${layer.name} forward`);
  });
  return { inputs, preActivations };
}

/**
 * The last layer's outputs `[B, units]` for inference (dropout the identity); `last` replaces
 * its activation (e.g. "linear": the logits before a softmax a loss fuses).
 */
export function sequentialOutputs(
  layout: ModelLayout,
  params: readonly tf.Tensor[],
  x: tf.Tensor,
  last?: ActivationName,
): tf.Tensor2D {
  return tf.tidy(() => {
    const { inputs } = trace(layout, params, x, [], last);
    return inputs[inputs.length - 1] as tf.Tensor2D;
  });
}

interface LayerGradients {
  /** Kernel, then bias (if any). */
  readonly weights: tf.Tensor[];
  /** ∂loss/∂(layer input); omitted for the first layer. */
  readonly input?: tf.Tensor;
}

/** One layer's part of the backward pass. */
interface LayerBackward {
  readonly input: tf.Tensor;
  readonly output: tf.Tensor;
  /** The layer's output before its activation (gelu only). */
  readonly preActivation: tf.Tensor | undefined;
  readonly activation: Activation;
  readonly mask: tf.Tensor | undefined;
  readonly needInput: boolean;
  /** The next layer, a max-pool, applied this layer's ReLU derivative (see {@link poolTakesRelu}). */
  readonly reluApplied: boolean;
}

/** Backward through one layer, from ∂loss/∂(its output). */
function backwardLayer(
  layer: LayerLayout,
  dOut: tf.Tensor,
  params: readonly tf.Tensor[],
  w: number,
  at: LayerBackward,
): LayerGradients {
  const { input, mask, needInput } = at;
  const spec = layer.spec;
  switch (spec.kind) {
    case "conv2d":
    case "dense": {
      const skip = at.reluApplied && at.activation === "relu";
      const dz = skip ? dOut : activationBackward(dOut, at.activation, at.output, at.preActivation);
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
  /** Replaces the last layer's activation: "linear" when the loss applies it (fused). */
  readonly lastActivation?: ActivationName;
}

/**
 * The score and gradients of `layout`'s model on one batch. `x` is `[B, …]` with B·(input
 * size) values (flat `[B, 784]` rows serve a `[28, 28, 1]` input as they are); `score` gets the
 * last layer's outputs and writes ∂loss/∂outputs. Gradients are in flat-layout order (kernel,
 * then bias, for each layer with weights).
 */
export function sequentialLossAndGrads<R>(
  layout: ModelLayout,
  params: readonly tf.Tensor[],
  x: tf.Tensor,
  score: ScoreOutputs<R>,
  options: SequentialStepOptions = {},
): BatchGradients<R> {
  const batch = x.shape[0];
  const last = options.lastActivation;
  let result: R | undefined;
  const grads = tf.tidy(() => {
    const masks = dropoutTensors(layout, batch, options.dropoutMasks);
    const { inputs, preActivations } = trace(layout, params, x, masks, last);
    const outputs = inputs[inputs.length - 1];
    const dOutputs = new Float32Array(outputs.size);
    result = score(outputs.dataSync() as Float32Array, dOutputs);
    phaseProbe?.("loss");

    let d: tf.Tensor = tf.tensor(dOutputs, outputs.shape);
    const indices = weightIndices(layout);
    const grads: tf.Tensor[] = new Array(layout.weights.length);
    let dropout = masks.length;
    let reluApplied = false;
    for (let i = layout.layers.length - 1; i >= 0; i--) {
      const layer = layout.layers[i];
      const m = layer.spec.kind === "dropout" ? masks[--dropout] : undefined;
      const takesRelu = poolTakesRelu(layout, i);
      const dOut = takesRelu ? tf.mul(d, tf.step(inputs[i + 1])) : d;
      const g = backwardLayer(layer, dOut, params, indices[i], {
        input: inputs[i],
        output: inputs[i + 1],
        preActivation: preActivations[i],
        activation: activationOf(layout, i, last),
        mask: m,
        needInput: i > 0,
        reluApplied,
      });
      reluApplied = takesRelu;
      phaseProbe?.(`${layer.name} backward`);
      g.weights.forEach((t, k) => {
        grads[indices[i] + k] = t;
      });
      if (g.input) d = g.input;
    }
    return grads;
  });
  return { score: result as R, grads };
}
