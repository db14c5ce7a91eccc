import * as v from "valibot";
import type { ConfusionMatrix } from "../metric/confusion.ts";
import { computeFans, type InitializerSpec } from "../model/initializers.ts";
import {
  kerasClass,
  type LayerLayout,
  type ModelLayout,
  type ModelSpec,
  modelLayout,
  shapeSize,
} from "../model/sequential.ts";
import type { EpochMetrics } from "../run/epoch-metrics.ts";
import { at, expecting, show, validate } from "../validate.ts";
import { defaultModelIo, type ModelIo, modelIoJson, parseModelIo } from "./model-io.ts";
import { ModelFormatError, parseTopology } from "./topology.ts";

/**
 * TensorFlow.js Layers format: `model.json` (a Keras `Sequential` topology plus a weights
 * manifest) and `weights.bin`. shardfit's flat parameter layout is exactly the manifest's
 * order (kernel₀, bias₀, kernel₁, …), so `weights.bin` is the parameter vector's bytes.
 */
export const WEIGHTS_FILE = "weights.bin";
export const MODEL_FILE = "model.json";

/** What shardfit records about a training run in `userDefinedMetadata.shardfit`. */
export interface TrainingSummary {
  readonly data: string;
  readonly epochs: number;
  readonly batchSize: number;
  readonly workers: number;
  readonly seed: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly trainSeconds: number;
  readonly date: string;
  /** Per epoch (since 2026-11; older files have none). */
  readonly history?: readonly Omit<EpochMetrics, "liveTensors">[];
  /** The final model on the test set, `confusion[true][predicted]` (since 2026-11). */
  readonly confusion?: ConfusionMatrix;
}

type Json = Record<string, unknown>;

const FAN_MODES = { fanIn: "fan_in", fanOut: "fan_out", fanAvg: "fan_avg" } as const;

/** An initializer as Keras JSON that tfjs's loader accepts. */
function initializerJson(init: InitializerSpec, shape: readonly number[]): Json {
  switch (init.kind) {
    case "zeros":
      return { class_name: "Zeros", config: {} };
    case "ones":
      return { class_name: "Ones", config: {} };
    case "constant":
      return { class_name: "Constant", config: { value: init.value } };
    case "randomUniform":
      return {
        class_name: "RandomUniform",
        config: { minval: init.minval, maxval: init.maxval, seed: null },
      };
    case "randomNormal":
    case "truncatedNormal":
      return {
        class_name: init.kind === "randomNormal" ? "RandomNormal" : "TruncatedNormal",
        config: { mean: init.mean, stddev: init.stddev, seed: null },
      };
    case "varianceScaling": {
      if (init.distribution === "untruncatedNormal") {
        // tfjs rejects Keras's "untruncated_normal"; the same distribution, for this shape:
        const [fanIn, fanOut] = computeFans(shape);
        const fan = { fanIn, fanOut, fanAvg: (fanIn + fanOut) / 2 }[init.mode];
        const stddev = Math.sqrt(init.scale / Math.max(1, fan));
        return { class_name: "RandomNormal", config: { mean: 0, stddev, seed: null } };
      }
      const distribution =
        init.distribution === "truncatedNormal" ? "truncated_normal" : init.distribution;
      return {
        class_name: "VarianceScaling",
        config: { scale: init.scale, mode: FAN_MODES[init.mode], distribution, seed: null },
      };
    }
  }
}

const NO_REGULARIZERS = {
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
};

/** The Keras config fields of one layer (without name, trainable and input shape). */
function layerFields(layer: LayerLayout): Json {
  const spec = layer.spec;
  const [kernel, bias] = layer.weights;
  const initializers = () => ({
    kernel_initializer: initializerJson(
      spec.kind === "conv2d" || spec.kind === "dense" ? spec.kernelInitializer : { kind: "zeros" },
      kernel.shape,
    ),
    bias_initializer: initializerJson(
      spec.kind === "conv2d" || spec.kind === "dense" ? spec.biasInitializer : { kind: "zeros" },
      bias?.shape ?? [],
    ),
  });
  switch (spec.kind) {
    case "dense":
      return {
        units: spec.units,
        activation: spec.activation,
        use_bias: spec.useBias,
        ...initializers(),
        ...NO_REGULARIZERS,
      };
    case "conv2d":
      return {
        filters: spec.filters,
        kernel_size: [...spec.kernelSize],
        strides: [...spec.strides],
        padding: spec.padding,
        data_format: "channels_last",
        dilation_rate: [1, 1],
        activation: spec.activation,
        use_bias: spec.useBias,
        ...initializers(),
        ...NO_REGULARIZERS,
      };
    case "maxPooling2d":
      return {
        pool_size: [...spec.poolSize],
        padding: spec.padding,
        strides: [...spec.strides],
        data_format: "channels_last",
      };
    case "dropout":
      return { rate: spec.rate, noise_shape: null, seed: null };
    case "reshape":
      return { target_shape: [...spec.targetShape] };
    case "flatten":
      return {};
  }
}

export interface ModelJson {
  modelTopology: {
    class_name: "Sequential";
    config: { name: string; layers: { class_name: string; config: Json }[] };
    keras_version: string;
    backend: string;
    /** What the run trained with (training-config.ts): optimizer, loss, metrics. */
    training_config?: Json;
  };
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  weightsManifest: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: "float32" }[];
  }[];
  userDefinedMetadata?: {
    shardfit?: TrainingSummary;
    shardfit_io?: ReturnType<typeof modelIoJson>;
  };
}

/** model.json for `spec`; `weightsBytes(params)` is its weights.bin. */
export function toModelJson(
  spec: ModelSpec,
  summary?: TrainingSummary,
  trainingConfig?: Json,
): ModelJson {
  const layout = modelLayout(spec);
  const layers = layout.layers.map((layer, i) => ({
    class_name: kerasClass(layer.spec.kind),
    config: {
      ...layerFields(layer),
      name: layer.name,
      trainable: true,
      ...(i === 0 ? { batch_input_shape: [null, ...layout.inputShape], dtype: "float32" } : {}),
    },
  }));
  const weights = layout.weights.map((w) => ({
    name: w.name,
    shape: [...w.shape],
    dtype: "float32" as const,
  }));
  return {
    modelTopology: {
      class_name: "Sequential",
      config: { name: "shardfit", layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
      // Where the tfjs converter puts Keras's; tfjs's loader reads the Sequential beside it.
      ...(trainingConfig ? { training_config: trainingConfig } : {}),
    },
    format: "layers-model",
    generatedBy: "shardfit",
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights }],
    ...(summary ? { userDefinedMetadata: { shardfit: summary } } : {}),
  };
}

/**
 * `json` with what the model's inputs are made from and what its outputs mean in
 * `userDefinedMetadata.shardfit_io` (where `tf.loadLayersModel` ignores it); the rest of the
 * metadata is kept. Without `io`, `json` as it is.
 */
export function withModelIo<T extends { userDefinedMetadata?: object }>(json: T, io?: ModelIo): T {
  if (!io) return json;
  return {
    ...json,
    userDefinedMetadata: { ...json.userDefinedMetadata, shardfit_io: modelIoJson(io) },
  };
}

export function weightsBytes(params: Float32Array): Uint8Array {
  return new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
}

export interface LoadedModel {
  readonly spec: ModelSpec;
  readonly layout: ModelLayout;
  readonly params: Float32Array;
  readonly summary?: TrainingSummary;
  /** What the inputs are made from and what the outputs mean (a default for older files). */
  readonly io: ModelIo;
  /** Whether `io` was saved with the model (false: the MNIST-style default). */
  readonly ioSaved: boolean;
}

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The manifest's weight specs, in order, each checked for a name and an integer shape. */
function manifestWeights(
  json: Json,
  fail: (m: string) => never,
): { name: string; shape: unknown }[] {
  const groups = json.weightsManifest;
  if (!Array.isArray(groups) || groups.length === 0) {
    return fail(
      `weightsManifest: expected a non-empty array, got ${JSON.stringify(groups) ?? "nothing"}`,
    );
  }
  return groups.flatMap((g, i) => {
    if (!isObject(g) || !Array.isArray(g.weights)) {
      return fail(`weightsManifest[${i}].weights: expected an array of weight specs`);
    }
    return g.weights as { name: string; shape: unknown }[];
  });
}

/**
 * Reads a Layers-format model (`json` is the parsed model.json): the topology by
 * topology.ts's rules, then the manifest's shapes against the layout, weights.bin's length,
 * finite weights and the training summary. Errors name the file and what was expected vs found.
 */
export function fromLayersModel(
  json: unknown,
  weights: Uint8Array,
  files = { model: MODEL_FILE, weights: WEIGHTS_FILE },
): LoadedModel {
  const fail = (message: string): never => {
    throw new ModelFormatError(files.model, message);
  };
  if (!isObject(json)) return fail(`expected a JSON object, got ${JSON.stringify(json)}`);
  if (!isObject(json.modelTopology))
    return fail("modelTopology: expected a Sequential topology object");
  const spec = parseTopology(json.modelTopology, files.model);
  const layout = modelLayout(spec);
  const specs = manifestWeights(json, fail);
  if (specs.length !== layout.weights.length) {
    fail(`weightsManifest: expected ${layout.weights.length} weights, got ${specs.length}`);
  }
  specs.forEach((s, i) => {
    const expected = JSON.stringify(layout.weights[i].shape);
    if (JSON.stringify(s.shape) !== expected) {
      fail(
        `weightsManifest weight ${i} (${s.name}): expected shape ${expected}, got ${JSON.stringify(s.shape)}`,
      );
    }
  });
  const params = readWeightsBin(weights, layout.size, files.weights);
  const summary = readSummary(json, shapeSize(layout.outputShape), fail);
  const savedIo = isObject(json.userDefinedMetadata)
    ? json.userDefinedMetadata.shardfit_io
    : undefined;
  const io =
    savedIo === undefined ? defaultModelIo(layout) : parseModelIo(savedIo, layout, files.model);
  return {
    spec,
    layout,
    params,
    ...(summary ? { summary } : {}),
    io,
    ioSaved: savedIo !== undefined,
  };
}

/**
 * shardfit's metadata in a model.json: free-form, shown by GET /model and never used for
 * inference. Beyond its being an object only the fields GET /model computes with are checked
 * (when present), so an older or foreign summary does not stop a model.
 */
const MetadataSchema = v.looseObject({
  userDefinedMetadata: v.optional(
    v.looseObject({
      shardfit: v.optional(
        v.pipe(
          v.custom<TrainingSummary>(
            (x) => typeof x === "object" && x !== null && !Array.isArray(x),
            expecting("an object"),
          ),
          v.rawCheck(({ dataset, addIssue }) => {
            if (!dataset.typed) return;
            const { confusion, history } = dataset.value as {
              confusion?: unknown;
              history?: unknown;
            };
            if (confusion !== undefined && !isCountMatrix(confusion)) {
              addIssue({
                message: `expected a square matrix of counts (arrays of non-negative integers), got ${show(confusion)}`,
                path: [at(dataset.value, "confusion")],
              });
            }
            if (history !== undefined && !isObjectArray(history)) {
              addIssue({
                message: `expected an array of per-epoch objects, got ${show(history)}`,
                path: [at(dataset.value, "history")],
              });
            }
          }),
        ),
      ),
    }),
  ),
});

function isCountMatrix(x: unknown): x is number[][] {
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every(
      (row) =>
        Array.isArray(row) &&
        row.length === x.length &&
        row.every((n) => Number.isInteger(n) && n >= 0),
    )
  );
}

function isObjectArray(x: unknown): boolean {
  return (
    Array.isArray(x) && x.every((e) => typeof e === "object" && e !== null && !Array.isArray(e))
  );
}

/**
 * The training summary of a model.json (`userDefinedMetadata.shardfit`), checked for a model
 * of `classes` outputs; undefined when the file has none.
 */
function readSummary(
  json: unknown,
  classes: number,
  fail: (message: string) => never,
): TrainingSummary | undefined {
  const summary = validate(MetadataSchema, json, fail).userDefinedMetadata?.shardfit;
  const n = summary?.confusion?.length;
  if (n !== undefined && n !== classes) {
    fail(
      `userDefinedMetadata.shardfit.confusion: expected ${classes} × ${classes} (the model's classes), got ${n} × ${n}`,
    );
  }
  return summary;
}

/** weights.bin as `size` float32 weights: its length and every weight's finiteness checked. */
function readWeightsBin(weights: Uint8Array, size: number, file: string): Float32Array {
  if (weights.byteLength !== size * 4) {
    throw new ModelFormatError(
      file,
      `expected ${size * 4} bytes (${size} float32 weights), got ${weights.byteLength}`,
    );
  }
  const params = new Float32Array(size);
  new Uint8Array(params.buffer).set(weights);
  const bad = params.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw new ModelFormatError(file, `weight ${bad} is ${params[bad]}; expected finite numbers`);
  }
  return params;
}
