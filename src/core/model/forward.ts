import { type Prediction, pixelsToInputs, softmaxInPlace, toPrediction } from "../forward.ts";
import {
  type Conv2DLayer,
  type MaxPooling2DLayer,
  type SequentialLayerLayout,
  type SequentialLayout,
  shapeSize,
} from "./sequential.ts";
import { tapScratch, windowGrid, windowTaps } from "./window-grid.ts";

/**
 * Plain-TypeScript inference for any Sequential model of sequential.ts (no tfjs, no runtime
 * APIs): workerd cannot compile WebAssembly, so the edge predicts with this. As in
 * core/forward.ts, every hot loop is its own tiny function — one big loop nest fell out of
 * workerd's optimising JIT and ran ~20× slower — and sums are accumulated in float64.
 */

export interface SequentialModel {
  readonly layout: SequentialLayout;
  readonly params: Float32Array;
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
  layer: SequentialLayerLayout,
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
  layer: SequentialLayerLayout,
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

/** Adds input feature i of every sample times kernel row i (feature-major: one row stays hot). */
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
  layer: SequentialLayerLayout,
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

function reluInPlace(v: Float64Array): void {
  for (let i = 0; i < v.length; i++) if (v[i] < 0) v[i] = 0;
}

function softmaxRows(v: Float64Array, batch: number): void {
  const n = v.length / batch;
  for (let b = 0; b < batch; b++) softmaxInPlace(v, b * n, n);
}

function runLayer(
  x: Float64Array,
  batch: number,
  layer: SequentialLayerLayout,
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
export function sequentialForward(
  model: SequentialModel,
  inputs: ArrayLike<number>,
  batch = 1,
): Float32Array {
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
    if (spec.activation === "relu") reluInPlace(x);
    else if (spec.activation === "softmax") softmaxRows(x, batch);
  }
  return Float32Array.from(x);
}

/** Predicts each image (input-size pixel values in 0..255) of `images` in one batch. */
export function predictSequentialPixels(
  model: SequentialModel,
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
  const probabilities = sequentialForward(model, x, images.length);
  return images.map((_, b) => toPrediction(probabilities, b, classes));
}
