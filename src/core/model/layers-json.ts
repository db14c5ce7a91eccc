import {
  layersModelJson,
  MODEL_FILE,
  ModelFormatError,
  readSummary,
  readWeightsBin,
  type TrainingSummary,
  WEIGHTS_FILE,
} from "../layers-format.ts";
import { computeFans, type InitializerSpec } from "./initializers.ts";
import {
  kerasClass,
  type SequentialLayerLayout,
  type SequentialLayout,
  type SequentialSpec,
  sequentialLayout,
  shapeSize,
  type WeightLayout,
} from "./sequential.ts";
import { parseTopology } from "./topology.ts";

/**
 * TensorFlow.js Layers format for any Sequential model: `model.json` (topology + weights
 * manifest) and `weights.bin` (the flat parameter vector's bytes, which is the manifest's
 * order). For a Dense stack the JSON equals layers-format.ts's `toModelJson`, field for field.
 */

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
function layerFields(layer: SequentialLayerLayout): Json {
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

export interface SequentialModelJson {
  modelTopology: {
    class_name: "Sequential";
    config: { name: string; layers: { class_name: string; config: Json }[] };
    keras_version: string;
    backend: string;
  };
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  weightsManifest: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: "float32" }[];
  }[];
  userDefinedMetadata?: { shardfit?: TrainingSummary };
}

/** model.json for `layout`; `weightsBytes(params)` (layers-format.ts) is its weights.bin. */
export function toSequentialModelJson(
  layout: SequentialLayout,
  summary?: TrainingSummary,
): SequentialModelJson {
  const layers = layout.layers.map((layer, i) => ({
    class_name: kerasClass(layer.spec.kind),
    config: {
      ...layerFields(layer),
      name: layer.name,
      trainable: true,
      ...(i === 0 ? { batch_input_shape: [null, ...layout.inputShape], dtype: "float32" } : {}),
    },
  }));
  const weights = layout.weights.map((w: WeightLayout) => ({
    name: w.name,
    shape: [...w.shape],
    dtype: "float32" as const,
  }));
  return layersModelJson(layers, weights, summary);
}

export interface LoadedSequentialModel {
  readonly spec: SequentialSpec;
  readonly layout: SequentialLayout;
  readonly params: Float32Array;
  readonly summary?: TrainingSummary;
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
 * Reads a Layers-format Sequential model (`json` is the parsed model.json): the topology by
 * topology.ts's rules, then the manifest's shapes against the layout, weights.bin's length,
 * and finite weights. Errors name the file and what was expected vs found.
 */
export function fromSequentialLayersModel(
  json: unknown,
  weights: Uint8Array,
  files = { model: MODEL_FILE, weights: WEIGHTS_FILE },
): LoadedSequentialModel {
  const fail = (message: string): never => {
    throw new ModelFormatError(files.model, message);
  };
  if (!isObject(json)) return fail(`expected a JSON object, got ${JSON.stringify(json)}`);
  if (!isObject(json.modelTopology))
    return fail("modelTopology: expected a Sequential topology object");
  const spec = parseTopology(json.modelTopology, files.model);
  const layout = sequentialLayout(spec);
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
  return { spec, layout, params, ...(summary ? { summary } : {}) };
}
