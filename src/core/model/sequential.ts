import { ACTIVATION_NAMES, type ActivationName } from "./activations.ts";
import { GLOROT_UNIFORM, type InitializerSpec, ZEROS } from "./initializers.ts";

/**
 * A Sequential model: an input shape and a stack of layers, channels-last like Keras and tfjs.
 * Shapes here are per sample (no batch axis): `[h, w, c]` for images, `[n]` for vectors.
 *
 * Flat parameter layout (shared by training, checkpoints and `weights.bin`): for each layer
 * with weights, in order, its kernel in Keras order (conv `[kh, kw, cin, cout]`, dense
 * `[in, out]`, row-major), then its bias.
 */

/** Keras's name of a layer's activation (activations.ts), applied over the last axis. */
export type Activation = ActivationName;
export type Padding = "valid" | "same";
export type Shape = readonly number[];
export type Pair = readonly [number, number];

interface Named {
  /** Layer name (as in model.json); defaults to tfjs's `<kind>_<Class><n>`. */
  readonly name?: string;
}

export interface Conv2DLayer extends Named {
  readonly kind: "conv2d";
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly padding: Padding;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
}

export interface MaxPooling2DLayer extends Named {
  readonly kind: "maxPooling2d";
  readonly poolSize: Pair;
  readonly strides: Pair;
  readonly padding: Padding;
}

export interface DenseLayer extends Named {
  readonly kind: "dense";
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
}

export interface FlattenLayer extends Named {
  readonly kind: "flatten";
}

export interface ReshapeLayer extends Named {
  readonly kind: "reshape";
  readonly targetShape: Shape;
}

/** Inverted dropout: training keeps each unit with probability 1 − rate and scales it by 1/(1 − rate). */
export interface DropoutLayer extends Named {
  readonly kind: "dropout";
  readonly rate: number;
}

export type LayerSpec =
  | Conv2DLayer
  | MaxPooling2DLayer
  | DenseLayer
  | FlattenLayer
  | ReshapeLayer
  | DropoutLayer;

export interface ModelSpec {
  readonly inputShape: Shape;
  readonly layers: readonly LayerSpec[];
}

export interface WeightLayout {
  /** `<layer name>/kernel` or `<layer name>/bias`, as in a weights manifest. */
  readonly name: string;
  readonly shape: Shape;
  /** Offset (in floats) in the flat vector. */
  readonly offset: number;
  readonly size: number;
  readonly initializer: InitializerSpec;
}

export interface LayerLayout {
  readonly spec: LayerSpec;
  readonly name: string;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** `[kernel, bias]`, `[kernel]` without bias, `[]` for layers without weights. */
  readonly weights: readonly WeightLayout[];
}

export interface ModelLayout {
  readonly spec: ModelSpec;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly layers: readonly LayerLayout[];
  /** Every weight in flat order. */
  readonly weights: readonly WeightLayout[];
  /** Total number of parameters. */
  readonly size: number;
}

/** A layer's problem, located by index, kind and name. */
export class ModelSpecError extends Error {
  constructor(message: string) {
    super(`model spec: ${message}`);
    this.name = "ModelSpecError";
  }
}

export const shapeSize = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);
export const showShape = (shape: Shape): string => `[${shape.join(", ")}]`;

/** Input values per sample (784 for 28×28 MNIST). */
export const inputSizeOf = (spec: ModelSpec): number => shapeSize(spec.inputShape);

/** Parameters in the flat vector; checks the spec (throws naming the layer and field). */
export const parameterCount = (spec: ModelSpec): number => modelLayout(spec).size;

/** Output values per sample: the classes of the final softmax. */
export const classesOf = (spec: ModelSpec): number => shapeSize(modelLayout(spec).outputShape);

/** JSON with sorted keys, so two specs compare by content whatever built them. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** Whether two specs train the same network: layer names only label the weights. */
export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  const unnamed = (s: ModelSpec) =>
    canonicalJson({ inputShape: s.inputShape, layers: s.layers.map(({ name: _, ...l }) => l) });
  return unnamed(a) === unnamed(b);
}

/** The last layer's activation: the model's output activation ("linear" for a layer without one). */
export function outputActivation(spec: ModelSpec): Activation {
  const last = spec.layers[spec.layers.length - 1];
  return last.kind === "dense" || last.kind === "conv2d" ? last.activation : "linear";
}

/** A Conv2D or Dense layer with a ReLU activation. */
export const hasRelu = (layer: LayerLayout): boolean =>
  (layer.spec.kind === "conv2d" || layer.spec.kind === "dense") && layer.spec.activation === "relu";

/** Output size and padding before the first element of one spatial axis, as TensorFlow pads. */
export function windowGeometry(
  size: number,
  window: number,
  stride: number,
  padding: Padding,
): { out: number; padBefore: number } {
  if (padding === "valid") return { out: Math.floor((size - window) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

const TFJS_CLASS: Record<LayerSpec["kind"], [string, string]> = {
  conv2d: ["conv2d", "Conv2D"],
  maxPooling2d: ["max_pooling2d", "MaxPooling2D"],
  dense: ["dense", "Dense"],
  flatten: ["flatten", "Flatten"],
  reshape: ["reshape", "Reshape"],
  dropout: ["dropout", "Dropout"],
};

/** Keras class name of a layer kind (`Conv2D`, `Dense`, …). */
export const kerasClass = (kind: LayerSpec["kind"]): string => TFJS_CLASS[kind][1];

/** tfjs's default names (`dense_Dense1`, …), numbered per kind, for unnamed layers. */
function defaultNames(layers: readonly LayerSpec[]): string[] {
  const counts = new Map<string, number>();
  return layers.map((layer) => {
    const n = (counts.get(layer.kind) ?? 0) + 1;
    counts.set(layer.kind, n);
    const [snake, cls] = TFJS_CLASS[layer.kind];
    return layer.name ?? `${snake}_${cls}${n}`;
  });
}

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

interface Checker {
  fail(message: string): never;
  positive(field: string, value: unknown): void;
  pair(field: string, value: Pair): void;
}

function checkerFor(index: number, kind: string, name: string): Checker {
  const fail = (message: string): never => {
    throw new ModelSpecError(`layer ${index} (${kind} "${name}"): ${message}`);
  };
  const positive = (field: string, value: unknown) => {
    if (!isPositiveInt(value)) fail(`${field}: expected a positive integer, got ${value}`);
  };
  const pair = (field: string, value: Pair) => {
    if (!Array.isArray(value) || value.length !== 2 || !value.every(isPositiveInt)) {
      fail(`${field}: expected two positive integers, got ${JSON.stringify(value)}`);
    }
  };
  return { fail, positive, pair };
}

function requireRank(c: Checker, input: Shape, rank: number, hint: string): void {
  if (input.length !== rank) {
    c.fail(`expected a rank-${rank} input ${hint}, got shape ${showShape(input)}`);
  }
}

/** Output shape of a windowed layer (conv or pool) on an `[h, w, c]` input. */
function windowedShape(
  c: Checker,
  input: Shape,
  window: Pair,
  strides: Pair,
  padding: Padding,
  channels: number,
): Shape {
  const [h, w] = input;
  const rows = windowGeometry(h, window[0], strides[0], padding).out;
  const cols = windowGeometry(w, window[1], strides[1], padding).out;
  if (rows < 1 || cols < 1) {
    c.fail(
      `a ${window[0]}×${window[1]} window with "${padding}" padding does not fit the input ${showShape(input)}`,
    );
  }
  return [rows, cols, channels];
}

function checkActivation(c: Checker, activation: Activation): void {
  if (!(ACTIVATION_NAMES as readonly string[]).includes(activation)) {
    const names = ACTIVATION_NAMES.map((n) => `"${n}"`).join(", ");
    c.fail(`activation: expected one of ${names}, got ${JSON.stringify(activation)}`);
  }
}

function checkPadding(c: Checker, padding: Padding): void {
  if (padding !== "valid" && padding !== "same") {
    c.fail(`padding: expected "valid" or "same", got ${JSON.stringify(padding)}`);
  }
}

/** Checks one layer against its input shape and returns its output shape. */
function outputShape(c: Checker, layer: LayerSpec, input: Shape): Shape {
  switch (layer.kind) {
    case "conv2d":
      requireRank(c, input, 3, "[height, width, channels]");
      c.positive("filters", layer.filters);
      c.pair("kernelSize", layer.kernelSize);
      c.pair("strides", layer.strides);
      checkPadding(c, layer.padding);
      checkActivation(c, layer.activation);
      return windowedShape(c, input, layer.kernelSize, layer.strides, layer.padding, layer.filters);
    case "maxPooling2d":
      requireRank(c, input, 3, "[height, width, channels]");
      c.pair("poolSize", layer.poolSize);
      c.pair("strides", layer.strides);
      checkPadding(c, layer.padding);
      return windowedShape(c, input, layer.poolSize, layer.strides, layer.padding, input[2]);
    case "dense":
      requireRank(c, input, 1, "(add a Flatten before Dense)");
      c.positive("units", layer.units);
      checkActivation(c, layer.activation);
      return [layer.units];
    case "flatten":
      // tfjs's Flatten rejects a flat input (Keras's accepts it); keep every model loadable.
      if (input.length < 2) c.fail(`expected an input of rank ≥ 2, got shape ${showShape(input)}`);
      return [shapeSize(input)];
    case "reshape": {
      const target = layer.targetShape;
      if (!Array.isArray(target) || target.length === 0 || !target.every(isPositiveInt)) {
        c.fail(`targetShape: expected positive integers, got ${JSON.stringify(target)}`);
      }
      if (shapeSize(target) !== shapeSize(input)) {
        c.fail(
          `targetShape: ${showShape(target)} holds ${shapeSize(target)} values, the input ${showShape(input)} holds ${shapeSize(input)}`,
        );
      }
      return [...target];
    }
    case "dropout":
      if (!(typeof layer.rate === "number" && layer.rate >= 0 && layer.rate < 1)) {
        c.fail(`rate: expected a number in [0, 1), got ${layer.rate}`);
      }
      return input;
    default:
      return c.fail(`unsupported layer kind ${JSON.stringify((layer as { kind: unknown }).kind)}`);
  }
}

/** Kernel and bias shapes of a layer with weights, else none. */
function weightShapes(layer: LayerSpec, input: Shape): { kernel: Shape; bias: Shape } | undefined {
  if (layer.kind === "conv2d") {
    const [kh, kw] = layer.kernelSize;
    return { kernel: [kh, kw, input[2], layer.filters], bias: [layer.filters] };
  }
  if (layer.kind === "dense") return { kernel: [input[0], layer.units], bias: [layer.units] };
  return undefined;
}

/**
 * Checks a spec (every field, every shape on its way through the stack) and lays out its
 * parameters. Errors name the layer (index, kind, name) and the field, expected vs got.
 */
export function modelLayout(spec: ModelSpec): ModelLayout {
  const input = spec.inputShape;
  if (!Array.isArray(input) || input.length === 0 || !input.every(isPositiveInt)) {
    throw new ModelSpecError(
      `inputShape: expected positive integers, got ${JSON.stringify(input)}`,
    );
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) {
    throw new ModelSpecError("layers: expected at least one layer, got none");
  }
  const names = defaultNames(spec.layers);
  const layers: LayerLayout[] = [];
  const weights: WeightLayout[] = [];
  let shape: Shape = [...input];
  let offset = 0;
  spec.layers.forEach((layer, i) => {
    const c = checkerFor(i, layer.kind, names[i]);
    const out = outputShape(c, layer, shape);
    const own: WeightLayout[] = [];
    const shapes = weightShapes(layer, shape);
    if (shapes && (layer.kind === "conv2d" || layer.kind === "dense")) {
      const add = (part: string, wShape: Shape, initializer: InitializerSpec) => {
        const size = shapeSize(wShape);
        own.push({ name: `${names[i]}/${part}`, shape: wShape, offset, size, initializer });
        offset += size;
      };
      add("kernel", shapes.kernel, layer.kernelInitializer);
      if (layer.useBias) add("bias", shapes.bias, layer.biasInitializer);
    }
    weights.push(...own);
    layers.push({ spec: layer, name: names[i], inputShape: shape, outputShape: out, weights: own });
    shape = out;
  });
  return { spec, inputShape: [...input], outputShape: shape, layers, weights, size: offset };
}

/** `[n, n]` for a single number. */
const pair = (v: number | Pair): Pair => (typeof v === "number" ? [v, v] : v);

/** A Conv2D with Keras's defaults (stride 1, valid, linear, bias, glorot-uniform, zeros). */
export function conv2d(
  filters: number,
  kernelSize: number | Pair,
  options: Partial<Omit<Conv2DLayer, "kind" | "filters" | "kernelSize" | "strides">> & {
    strides?: number | Pair;
  } = {},
): Conv2DLayer {
  return {
    kind: "conv2d",
    filters,
    kernelSize: pair(kernelSize),
    padding: "valid",
    activation: "linear",
    useBias: true,
    kernelInitializer: GLOROT_UNIFORM,
    biasInitializer: ZEROS,
    ...options,
    strides: pair(options.strides ?? 1),
  };
}

/** A MaxPooling2D; strides default to the pool size, as in Keras. */
export function maxPooling2d(
  poolSize: number | Pair,
  options: { strides?: number | Pair; padding?: Padding; name?: string } = {},
): MaxPooling2DLayer {
  return {
    kind: "maxPooling2d",
    poolSize: pair(poolSize),
    strides: pair(options.strides ?? poolSize),
    padding: options.padding ?? "valid",
    ...(options.name ? { name: options.name } : {}),
  };
}

/** A Dense with Keras's defaults (linear, bias, glorot-uniform kernel, zero bias). */
export function dense(
  units: number,
  options: Partial<Omit<DenseLayer, "kind" | "units">> = {},
): DenseLayer {
  return {
    kind: "dense",
    units,
    activation: "linear",
    useBias: true,
    kernelInitializer: GLOROT_UNIFORM,
    biasInitializer: ZEROS,
    ...options,
  };
}

export const flatten = (): FlattenLayer => ({ kind: "flatten" });
export const reshape = (targetShape: Shape): ReshapeLayer => ({ kind: "reshape", targetShape });
export const dropout = (rate: number): DropoutLayer => ({ kind: "dropout", rate });
