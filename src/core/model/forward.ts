import { activationByName } from "./activations.ts";
import {
  type Conv2DLayer,
  type LayerLayout,
  type MaxPooling2DLayer,
  type ModelLayout,
  shapeSize,
} from "./sequential.ts";
import { tapScratch, windowGrid, windowTaps } from "./window-grid.ts";

/**
 * Plain-TypeScript inference (no tfjs, no runtime APIs), so the same code predicts on Bun,
 * Deno, workerd (which cannot compile WebAssembly) and in the browser. Every hot loop is its
 * own tiny function: on workerd one big loop nest fell out of the optimising JIT and ran ~20×
 * slower, while small monomorphic functions stay optimised everywhere. Sums are accumulated
 * in float64, close enough to match tfjs within 1e-6.
 */

/** What the forward pass needs of a model; a loaded model (layers-json.ts) satisfies it. */
export interface ForwardModel {
  readonly layout: ModelLayout;
  readonly params: Float32Array;
}

export interface Prediction {
  /** The most probable class. */
  readonly label: number;
  /** Its probability. */
  readonly confidence: number;
  /** One probability per class, summing to 1. */
  readonly probabilities: number[];
}

/** out[o + u] += scale · params[row + u] for u < n. */
function axpy(
  out: Float64Array,
  o: number,
  params: Float32Array,
  row: number,
  n: number,
  scale: number,
): void {
  for (let u = 0; u < n; u++) out[o + u] += scale * params[row + u];
}

/** Sets each of `count` rows of `out` (width n) to the bias, or to 0 without one. */
function fillRows(
  out: Float64Array,
  count: number,
  n: number,
  params: Float32Array,
  bias: number,
): void {
  for (let r = 0; r < count; r++) {
    for (let u = 0; u < n; u++) out[r * n + u] = bias < 0 ? 0 : params[bias + u];
  }
}

/**
 * Adds tap (i, j) of the kernel at one output pixel: each input channel value times its
 * kernel row `[cout]`. Zero inputs (ReLU-clipped, blank pixels) are skipped.
 */
function convTap(
  x: Float64Array,
  xOff: number,
  cin: number,
  params: Float32Array,
  kRow: number,
  cout: number,
  out: Float64Array,
  o: number,
): void {
  for (let ch = 0; ch < cin; ch++) {
    const v = x[xOff + ch];
    if (v !== 0) axpy(out, o, params, kRow + ch * cout, cout, v);
  }
}

/** One output pixel of a conv (all its output channels), from its window's taps inside x. */
function convPixel(
  x: Float64Array,
  xBase: number,
  inside: Int32Array,
  n: number,
  c: number,
  params: Float32Array,
  kernel: number,
  cout: number,
  out: Float64Array,
  o: number,
): void {
  for (let t = 0; t < n; t += 2) {
    const kRow = kernel + inside[t] * c * cout;
    convTap(x, xBase + inside[t + 1] * c, c, params, kRow, cout, out, o);
  }
}

function conv2dLayer(
  x: Float64Array,
  batch: number,
  layer: LayerLayout,
  spec: Conv2DLayer,
  params: Float32Array,
): Float64Array {
  const g = windowGrid(layer.inputShape, spec);
  const cout = spec.filters;
  const pixels = g.oh * g.ow;
  const out = new Float64Array(batch * pixels * cout);
  fillRows(out, batch * pixels, cout, params, layer.weights[1]?.offset ?? -1);
  const kernel = layer.weights[0].offset;
  const inside = tapScratch(g);
  for (let b = 0; b < batch; b++) {
    const xBase = b * g.h * g.w * g.c;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const o = ((b * g.oh + oy) * g.ow + ox) * cout;
        const n = windowTaps(g, oy, ox, inside);
        convPixel(x, xBase, inside, n, g.c, params, kernel, cout, out, o);
      }
    }
  }
  return out;
}

/** Max over one window's taps inside x for one channel (padding never wins, as in TF). */
function poolMax(x: Float64Array, xBase: number, inside: Int32Array, n: number, c: number) {
  let max = -Infinity;
  for (let t = 1; t < n; t += 2) {
    const v = x[xBase + inside[t] * c];
    if (v > max) max = v;
  }
  return max;
}

function maxPoolLayer(
  x: Float64Array,
  batch: number,
  layer: LayerLayout,
  spec: MaxPooling2DLayer,
): Float64Array {
  const g = windowGrid(layer.inputShape, spec);
  const out = new Float64Array(batch * g.oh * g.ow * g.c);
  const inside = tapScratch(g);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xBase = b * g.h * g.w * g.c;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const n = windowTaps(g, oy, ox, inside);
        for (let ch = 0; ch < g.c; ch++) out[o++] = poolMax(x, xBase + ch, inside, n, g.c);
      }
    }
  }
  return out;
}

/**
 * Adds input feature i of every sample times kernel row i. Going feature-major keeps one kernel
 * row hot in cache for the whole batch, and zero inputs (most MNIST pixels, every ReLU-clipped
 * unit) are skipped.
 */
function denseFeature(
  x: Float64Array,
  inputs: number,
  i: number,
  batch: number,
  params: Float32Array,
  row: number,
  out: Float64Array,
  units: number,
): void {
  for (let b = 0; b < batch; b++) {
    const v = x[b * inputs + i];
    if (v !== 0) axpy(out, b * units, params, row, units, v);
  }
}

function denseLayer(
  x: Float64Array,
  batch: number,
  layer: LayerLayout,
  units: number,
  params: Float32Array,
): Float64Array {
  const inputs = layer.inputShape[0];
  const out = new Float64Array(batch * units);
  fillRows(out, batch, units, params, layer.weights[1]?.offset ?? -1);
  const kernel = layer.weights[0].offset;
  for (let i = 0; i < inputs; i++) {
    denseFeature(x, inputs, i, batch, params, kernel + i * units, out, units);
  }
  return out;
}

/** Softmax of `v[offset, offset + n)` in place, shifted by the max so exp never overflows. */
export function softmaxInPlace(v: Float64Array | Float32Array, offset: number, n: number): void {
  let max = -Infinity;
  for (let k = 0; k < n; k++) if (v[offset + k] > max) max = v[offset + k];
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const e = Math.exp(v[offset + k] - max);
    v[offset + k] = e;
    sum += e;
  }
  for (let k = 0; k < n; k++) v[offset + k] /= sum;
}

function runLayer(
  x: Float64Array,
  batch: number,
  layer: LayerLayout,
  params: Float32Array,
): Float64Array {
  const spec = layer.spec;
  switch (spec.kind) {
    case "conv2d":
      return conv2dLayer(x, batch, layer, spec, params);
    case "dense":
      return denseLayer(x, batch, layer, spec.units, params);
    case "maxPooling2d":
      return maxPoolLayer(x, batch, layer, spec);
    // Flatten and Reshape keep the channels-last row-major order; Dropout is the identity at
    // inference.
    case "flatten":
    case "reshape":
    case "dropout":
      return x;
  }
}

/**
 * The model's outputs for `batch` samples: `inputs` holds `batch × (input size)` values,
 * channels-last row-major, scaled as in training (pixels / 255). Returns `batch × (output
 * size)` values (probabilities for a softmax output), row-major.
 */
export function forward(model: ForwardModel, inputs: ArrayLike<number>, batch = 1): Float32Array {
  const { layout, params } = model;
  const size = shapeSize(layout.inputShape);
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`forward: batch must be a positive integer, got ${batch}`);
  }
  if (inputs.length !== batch * size) {
    throw new RangeError(
      `forward: expected ${batch} × ${size} = ${batch * size} input values, got ${inputs.length}`,
    );
  }
  if (params.length !== layout.size) {
    throw new RangeError(
      `forward: expected ${layout.size} parameters for this layout, got ${params.length}`,
    );
  }
  let x: Float64Array = Float64Array.from(inputs);
  for (const layer of layout.layers) {
    x = runLayer(x, batch, layer, params);
    const spec = layer.spec;
    if (spec.kind !== "conv2d" && spec.kind !== "dense") continue;
    // Over the last axis: a Dense's units, a conv's channels.
    const units = layer.outputShape[layer.outputShape.length - 1];
    activationByName(spec.activation).forward(x, x, units);
  }
  return Float32Array.from(x);
}

/** Scales pixel bytes (0 = background, 255 = ink) to the model's 0..1 inputs. */
export function pixelsToInputs(
  pixels: ArrayLike<number>,
  out: Float32Array = new Float32Array(pixels.length),
): Float32Array {
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

/** The label, confidence and plain-number probabilities of row `row` of `probabilities`. */
function toPrediction(probabilities: ArrayLike<number>, row: number, classes: number): Prediction {
  const offset = row * classes;
  let label = 0;
  for (let k = 1; k < classes; k++) {
    if (probabilities[offset + k] > probabilities[offset + label]) label = k;
  }
  const list: number[] = [];
  for (let k = 0; k < classes; k++) list.push(probabilities[offset + k]);
  return { label, confidence: list[label], probabilities: list };
}

/** Predicts each image of `images` (input-size pixel values in 0..255 each) in one batch. */
export function predictPixelsBatch(
  model: ForwardModel,
  images: readonly ArrayLike<number>[],
): Prediction[] {
  const size = shapeSize(model.layout.inputShape);
  const classes = shapeSize(model.layout.outputShape);
  const x = new Float32Array(images.length * size);
  images.forEach((image, b) => {
    if (image.length !== size) {
      throw new RangeError(`predict: image ${b} has ${image.length} pixels, expected ${size}`);
    }
    pixelsToInputs(image, x.subarray(b * size, (b + 1) * size));
  });
  const probabilities = forward(model, x, images.length);
  return images.map((_, b) => toPrediction(probabilities, b, classes));
}

/** Predicts one image of input-size pixel values in 0..255 (0 = background, 255 = ink). */
export function predictPixels(model: ForwardModel, pixels: ArrayLike<number>): Prediction {
  return predictPixelsBatch(model, [pixels])[0];
}
