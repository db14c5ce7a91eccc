import { ACTIVATION_NAMES } from "../model/activations.ts";
import type { Distribution, FanMode, InitializerSpec } from "../model/initializers.ts";
import {
  type Activation,
  type LayerSpec,
  type ModelSpec,
  ModelSpecError,
  modelLayout,
  type Padding,
  type Pair,
} from "../model/sequential.ts";
import { show } from "../validate.ts";

/**
 * Reads a tfjs Layers topology — what tfjs `model.toJSON()` writes, or the `modelTopology`
 * of a Keras-2-format `model.json` — of a Sequential of Conv2D, MaxPooling2D, Flatten, Dense,
 * Dropout and Reshape layers into a {@link ModelSpec}. Anything shardfit cannot train
 * exactly as Keras would (another layer, activation, padding, data format, dilation,
 * regularizer, initializer…) is an error naming the layer and the field, expected vs got.
 */

/** A model file shardfit cannot read: names the file, then the field, expected vs got. */
export class ModelFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "ModelFormatError";
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads the fields of one config object; every failure names `where` and the field. */
class Fields {
  constructor(
    private readonly config: Json,
    readonly where: string,
    readonly fail: (message: string) => never,
  ) {}

  error(field: string, expected: string, got: unknown = this.config[field]): never {
    const text = got === undefined ? "nothing (the field is missing)" : show(got);
    return this.fail(`${this.where}: ${field}: expected ${expected}, got ${text}`);
  }

  has(field: string): boolean {
    return this.config[field] !== undefined && this.config[field] !== null;
  }

  positiveInt(field: string, fallback?: number): number {
    const v = this.config[field] ?? fallback;
    if (!Number.isInteger(v) || (v as number) < 1) this.error(field, "a positive integer");
    return v as number;
  }

  number(field: string, fallback?: number): number {
    const v = this.config[field] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) this.error(field, "a number");
    return v as number;
  }

  /** An integer or a list of two (Keras writes both). */
  pair(field: string, fallback?: Pair): Pair {
    const v = this.config[field] ?? fallback;
    if (Number.isInteger(v) && (v as number) > 0) return [v as number, v as number];
    const ok = Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n) && n > 0);
    if (!ok) this.error(field, "a positive integer or two of them");
    return [(v as number[])[0], (v as number[])[1]];
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback?: T): T {
    const v = this.config[field] ?? fallback;
    if (!allowed.includes(v as T)) {
      this.error(field, allowed.map((a) => JSON.stringify(a)).join(" or "));
    }
    return v as T;
  }

  /** Fields that must be absent or null (regularizers, constraints, noise shapes). */
  nulls(...fields: string[]): void {
    for (const f of fields) if (this.has(f)) this.error(f, "null (not supported)");
  }

  /** A field that must equal `value` (or be absent) for shardfit to train the layer exactly. */
  only(field: string, value: unknown, text = show(value)): void {
    const v = this.config[field];
    if (v !== undefined && v !== null && JSON.stringify(v) !== JSON.stringify(value)) {
      this.error(field, `${text} (the only one supported)`);
    }
  }

  get(field: string): unknown {
    return this.config[field];
  }
}

const ACTIVATIONS: readonly Activation[] = ACTIVATION_NAMES;
const PADDINGS: readonly Padding[] = ["valid", "same"];

const FAN_MODES: Record<string, FanMode> = {
  fan_in: "fanIn",
  fanIn: "fanIn",
  fan_out: "fanOut",
  fanOut: "fanOut",
  fan_avg: "fanAvg",
  fanAvg: "fanAvg",
};

const DISTRIBUTIONS: Record<string, Distribution> = {
  uniform: "uniform",
  normal: "normal",
  truncated_normal: "truncatedNormal",
  truncatedNormal: "truncatedNormal",
  untruncated_normal: "untruncatedNormal",
};

/** Named VarianceScaling initializers (Keras class names and tfjs's snake/camel strings). */
const NAMED: Record<string, [number, FanMode, Distribution]> = {
  GlorotUniform: [1, "fanAvg", "uniform"],
  GlorotNormal: [1, "fanAvg", "truncatedNormal"],
  HeUniform: [2, "fanIn", "uniform"],
  HeNormal: [2, "fanIn", "truncatedNormal"],
  LeCunUniform: [1, "fanIn", "uniform"],
  LecunUniform: [1, "fanIn", "uniform"],
  LeCunNormal: [1, "fanIn", "truncatedNormal"],
  LecunNormal: [1, "fanIn", "truncatedNormal"],
};

const INITIALIZER_NAMES = [
  "Zeros",
  "Ones",
  "Constant",
  "RandomUniform",
  "RandomNormal",
  "TruncatedNormal",
  "VarianceScaling",
  ...Object.keys(NAMED),
];

/** `glorot_uniform` / `glorotUniform` → `GlorotUniform`. */
function className(text: string): string {
  return text.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

function readInitializer(value: unknown, field: string, outer: Fields): InitializerSpec {
  const expected = `an initializer (${INITIALIZER_NAMES.join(", ")})`;
  const cls =
    typeof value === "string" ? className(value) : isObject(value) ? value.class_name : undefined;
  if (typeof cls !== "string" || !INITIALIZER_NAMES.includes(cls)) {
    return outer.error(field, expected, isObject(value) ? (value.class_name ?? value) : value);
  }
  const config = isObject(value) && isObject(value.config) ? value.config : {};
  const f = new Fields(config, `${outer.where}: ${field}`, outer.fail);
  const named = NAMED[cls];
  if (named)
    return { kind: "varianceScaling", scale: named[0], mode: named[1], distribution: named[2] };
  switch (cls) {
    case "Zeros":
      return { kind: "zeros" };
    case "Ones":
      return { kind: "ones" };
    case "Constant":
      return { kind: "constant", value: f.number("value", 0) };
    case "RandomUniform":
      return {
        kind: "randomUniform",
        minval: f.number("minval", -0.05),
        maxval: f.number("maxval", 0.05),
      };
    case "RandomNormal":
      return { kind: "randomNormal", mean: f.number("mean", 0), stddev: f.number("stddev", 0.05) };
    case "TruncatedNormal":
      return {
        kind: "truncatedNormal",
        mean: f.number("mean", 0),
        stddev: f.number("stddev", 0.05),
      };
    default: {
      const mode = f.oneOf("mode", Object.keys(FAN_MODES), "fan_in");
      const distribution = f.oneOf("distribution", Object.keys(DISTRIBUTIONS), "normal");
      const scale = f.number("scale", 1);
      if (scale <= 0) f.error("scale", "a positive number");
      return {
        kind: "varianceScaling",
        scale,
        mode: FAN_MODES[mode],
        distribution: DISTRIBUTIONS[distribution],
      };
    }
  }
}

function activation(f: Fields): Activation {
  return f.oneOf("activation", ACTIVATIONS, "linear");
}

function commonChecks(f: Fields): void {
  if (f.get("trainable") === false) f.error("trainable", "true (frozen layers are not supported)");
  f.only("data_format", "channels_last");
  // Keras 3 writes the dtype as a policy object, {"class_name": "DTypePolicy", "config": {"name": …}}.
  const dtype = f.get("dtype");
  const name = isObject(dtype) && isObject(dtype.config) ? dtype.config.name : dtype;
  if (name !== undefined && name !== null && name !== "float32") {
    f.error("dtype", `"float32" (the only one supported)`, name);
  }
}

function weighted(f: Fields) {
  f.nulls(
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
  );
  const useBias = f.get("use_bias") ?? true;
  if (typeof useBias !== "boolean") f.error("use_bias", "true or false");
  const init = (field: string, fallback: unknown) =>
    readInitializer(f.get(field) ?? fallback, field, f);
  return {
    activation: activation(f),
    useBias: useBias as boolean,
    kernelInitializer: init("kernel_initializer", "GlorotUniform"),
    biasInitializer: init("bias_initializer", "Zeros"),
  };
}

const SUPPORTED = ["Conv2D", "MaxPooling2D", "Dense", "Flatten", "Dropout", "Reshape"];

function readLayer(cls: string, f: Fields, name: string): LayerSpec {
  commonChecks(f);
  switch (cls) {
    case "Conv2D":
    case "Convolution2D":
      f.only("dilation_rate", [1, 1], "[1, 1]");
      f.only("groups", 1);
      return {
        kind: "conv2d",
        name,
        filters: f.positiveInt("filters"),
        kernelSize: f.pair("kernel_size"),
        strides: f.pair("strides", [1, 1]),
        padding: f.oneOf("padding", PADDINGS, "valid"),
        ...weighted(f),
      };
    case "MaxPooling2D":
    case "MaxPool2D": {
      const poolSize = f.pair("pool_size", [2, 2]);
      return {
        kind: "maxPooling2d",
        name,
        poolSize,
        strides: f.pair("strides", poolSize),
        padding: f.oneOf("padding", PADDINGS, "valid"),
      };
    }
    case "Dense":
      return { kind: "dense", name, units: f.positiveInt("units"), ...weighted(f) };
    case "Flatten":
      return { kind: "flatten", name };
    case "Dropout": {
      f.nulls("noise_shape");
      const rate = f.number("rate");
      if (rate < 0 || rate >= 1) f.error("rate", "a number in [0, 1)");
      return { kind: "dropout", name, rate };
    }
    case "Reshape": {
      const target = f.get("target_shape");
      if (!Array.isArray(target) || !target.every((n) => Number.isInteger(n) && n > 0)) {
        f.error("target_shape", "a list of positive integers");
      }
      return { kind: "reshape", name, targetShape: target as number[] };
    }
    default:
      return f.error("class_name", `one of ${SUPPORTED.join(", ")}`, cls);
  }
}

/** `[null, …dims]` from `batch_input_shape` (Keras 2, tfjs) or `batch_shape` (Keras 3). */
function readInputShape(f: Fields): number[] | undefined {
  const field = f.has("batch_input_shape") ? "batch_input_shape" : "batch_shape";
  const v = f.get(field);
  if (v === undefined || v === null) return undefined;
  const ok =
    Array.isArray(v) && v.length >= 2 && v.slice(1).every((n) => Number.isInteger(n) && n > 0);
  if (!ok) f.error(field, "[null, …positive dimensions]");
  return (v as number[]).slice(1);
}

/** The Sequential topology inside a model.json, a toJSON() string or a bare topology. */
function sequentialLayers(input: unknown, fail: (m: string) => never): unknown[] {
  let root = typeof input === "string" ? parseJson(input, fail) : input;
  if (isObject(root) && isObject(root.modelTopology)) root = root.modelTopology;
  if (isObject(root) && isObject(root.model_config)) root = root.model_config;
  if (!isObject(root)) return fail(`expected a Sequential topology object, got ${show(root)}`);
  if (root.class_name !== "Sequential") {
    return fail(`class_name: expected "Sequential", got ${show(root.class_name)}`);
  }
  // Keras ≤ 2.2 wrote the layer list as the config itself.
  const layers = Array.isArray(root.config)
    ? root.config
    : isObject(root.config)
      ? root.config.layers
      : undefined;
  if (!Array.isArray(layers) || layers.length === 0) {
    return fail(`config.layers: expected a non-empty list of layers, got ${show(layers)}`);
  }
  return layers;
}

function parseJson(text: string, fail: (m: string) => never): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Parses a topology (object or JSON text) into a checked spec. `source` names the file in
 * errors, e.g. `convnet.json: layers[2] "conv2d_2" (Conv2D): padding: expected "valid" or
 * "same", got "causal"`.
 */
export function parseTopology(input: unknown, source = "model topology"): ModelSpec {
  const fail = (message: string): never => {
    throw new ModelFormatError(source, message);
  };
  const raw = sequentialLayers(input, fail);
  let inputShape: number[] | undefined;
  const layers: LayerSpec[] = [];
  raw.forEach((entry, i) => {
    const config = isObject(entry) && isObject(entry.config) ? entry.config : undefined;
    const cls = isObject(entry) ? entry.class_name : undefined;
    const name = typeof config?.name === "string" ? config.name : `layer${i}`;
    const where = `layers[${i}] "${name}" (${typeof cls === "string" ? cls : "?"})`;
    if (typeof cls !== "string" || !config) {
      fail(`layers[${i}]: expected {"class_name": …, "config": {…}}, got ${show(entry)}`);
    }
    const f = new Fields(config!, where, fail);
    const shape = i === 0 ? readInputShape(f) : undefined;
    if (shape) inputShape = shape;
    if (cls === "InputLayer") {
      if (i !== 0) f.error("class_name", "InputLayer only as the first layer", cls);
      if (!shape) f.error("batch_input_shape", "[null, …positive dimensions]");
      return;
    }
    layers.push(readLayer(cls as string, f, name));
  });
  if (!inputShape) {
    fail(`layers[0]: batch_input_shape: expected [null, …dims] on the first layer, got nothing`);
  }
  const spec: ModelSpec = { inputShape: inputShape!, layers };
  try {
    modelLayout(spec);
  } catch (e) {
    if (e instanceof ModelSpecError) fail(e.message.replace(/^model spec: /, ""));
    throw e;
  }
  return spec;
}
