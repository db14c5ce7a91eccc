import type { LayerLayout, ParamLayout } from "./spec.ts";

/**
 * Plain-TypeScript inference for the Dense stacks of spec.ts (no tfjs, no runtime APIs), so
 * the same code predicts on Bun, Deno, workerd and in the browser.
 *
 * The hot loops are deliberately split into tiny single-purpose functions: on workerd one big
 * loop nest fell out of the optimising JIT and ran ~20× slower, while small monomorphic
 * functions stay optimised everywhere.
 */

/** What the forward pass needs of a model; `LoadedModel` satisfies it. */
export interface DenseModel {
  readonly layout: ParamLayout;
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

/** Sets each of `batch` rows of `out` (width `units`) to the layer's bias. */
function fillBias(
  out: Float64Array,
  batch: number,
  units: number,
  params: Float32Array,
  biasOffset: number,
): void {
  for (let b = 0; b < batch; b++) {
    const row = b * units;
    for (let u = 0; u < units; u++) out[row + u] = params[biasOffset + u];
  }
}

/** out[outOffset + u] += scale · params[kernelRow + u] for u < units. */
function axpy(
  out: Float64Array,
  outOffset: number,
  params: Float32Array,
  kernelRow: number,
  units: number,
  scale: number,
): void {
  for (let u = 0; u < units; u++) out[outOffset + u] += scale * params[kernelRow + u];
}

/**
 * Adds input feature `i` of every sample times kernel row `i`. Going feature-major keeps one
 * kernel row hot in cache for the whole batch, and zero inputs (most MNIST pixels, and every
 * ReLU-clipped unit) are skipped.
 */
function accumulateFeature(
  x: ArrayLike<number>,
  inputs: number,
  i: number,
  batch: number,
  params: Float32Array,
  kernelRow: number,
  out: Float64Array,
  units: number,
): void {
  for (let b = 0; b < batch; b++) {
    const v = x[b * inputs + i];
    if (v !== 0) axpy(out, b * units, params, kernelRow, units, v);
  }
}

/** z = x·W + b for one layer, written into `out` (batch × units). */
function denseLayer(
  x: ArrayLike<number>,
  batch: number,
  layer: LayerLayout,
  params: Float32Array,
  out: Float64Array,
): void {
  const { inputs, units, kernelOffset, biasOffset } = layer;
  fillBias(out, batch, units, params, biasOffset);
  for (let i = 0; i < inputs; i++) {
    accumulateFeature(x, inputs, i, batch, params, kernelOffset + i * units, out, units);
  }
}

function reluInPlace(v: Float64Array, length: number): void {
  for (let i = 0; i < length; i++) if (v[i] < 0) v[i] = 0;
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

function softmaxRows(v: Float64Array, batch: number, classes: number): void {
  for (let b = 0; b < batch; b++) softmaxInPlace(v, b * classes, classes);
}

/**
 * Class probabilities for `batch` samples. `inputs` holds `batch × inputSize` features,
 * row-major, already scaled the way the model was trained (pixels / 255 for shardfit).
 * Returns `batch × classes` probabilities, row-major.
 */
export function forward(model: DenseModel, inputs: ArrayLike<number>, batch = 1): Float32Array {
  const { layers } = model.layout;
  const first = layers[0];
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`forward: batch must be a positive integer, got ${batch}`);
  }
  if (inputs.length !== batch * first.inputs) {
    throw new RangeError(
      `forward: expected ${batch} × ${first.inputs} = ${batch * first.inputs} input values, got ${inputs.length}`,
    );
  }
  if (model.params.length !== model.layout.size) {
    throw new RangeError(
      `forward: expected ${model.layout.size} parameters for this layout, got ${model.params.length}`,
    );
  }
  let x: ArrayLike<number> = inputs;
  for (const layer of layers) {
    // Float64 accumulators: cheaper than they look and keep sums of hundreds of products exact
    // enough to match tfjs within 1e-6.
    const out = new Float64Array(batch * layer.units);
    denseLayer(x, batch, layer, model.params, out);
    if (layer.activation === "relu") reluInPlace(out, out.length);
    else softmaxRows(out, batch, layer.units);
    x = out;
  }
  return Float32Array.from(x);
}

/** Scales pixel bytes (0 = background, 255 = ink) to the model's 0..1 inputs. */
export function pixelsToInputs(
  pixels: ArrayLike<number>,
  out = new Float32Array(pixels.length),
): Float32Array {
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

/** The label, confidence and plain-number probabilities of row `row` of `probabilities`. */
export function toPrediction(
  probabilities: ArrayLike<number>,
  row: number,
  classes: number,
): Prediction {
  const offset = row * classes;
  let label = 0;
  for (let k = 1; k < classes; k++) {
    if (probabilities[offset + k] > probabilities[offset + label]) label = k;
  }
  const list: number[] = [];
  for (let k = 0; k < classes; k++) list.push(probabilities[offset + k]);
  return { label, confidence: list[label], probabilities: list };
}

/** Predicts each image of `images` (each `inputSize` pixel values in 0..255) in one batch. */
export function predictPixelsBatch(
  model: DenseModel,
  images: readonly ArrayLike<number>[],
): Prediction[] {
  const inputSize = model.layout.layers[0].inputs;
  const classes = model.layout.layers[model.layout.layers.length - 1].units;
  const x = new Float32Array(images.length * inputSize);
  images.forEach((image, b) => {
    if (image.length !== inputSize) {
      throw new RangeError(`predict: image ${b} has ${image.length} pixels, expected ${inputSize}`);
    }
    pixelsToInputs(image, x.subarray(b * inputSize, (b + 1) * inputSize));
  });
  const probabilities = forward(model, x, images.length);
  return images.map((_, b) => toPrediction(probabilities, b, classes));
}

/** Predicts one image of `inputSize` pixel values in 0..255 (0 = background, 255 = ink). */
export function predictPixels(model: DenseModel, pixels: ArrayLike<number>): Prediction {
  return predictPixelsBatch(model, [pixels])[0];
}
