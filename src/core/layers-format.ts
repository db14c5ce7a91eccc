import { type ModelSpec, type ParamLayout, paramLayout } from "./spec.ts";

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
}

export interface ModelJson {
  modelTopology: {
    class_name: "Sequential";
    config: { name: string; layers: DenseLayerJson[] };
    keras_version: string;
    backend: string;
  };
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  weightsManifest: { paths: string[]; weights: WeightSpecJson[] }[];
  userDefinedMetadata?: { shardfit?: TrainingSummary };
}

interface DenseLayerJson {
  class_name: "Dense";
  config: {
    units: number;
    activation: "relu" | "softmax";
    use_bias: true;
    name: string;
    trainable: true;
    batch_input_shape?: [null, number];
    dtype?: "float32";
    [key: string]: unknown;
  };
}

interface WeightSpecJson {
  name: string;
  shape: number[];
  dtype: "float32";
}

const GLOROT_UNIFORM = {
  class_name: "VarianceScaling",
  config: { scale: 1, mode: "fan_avg", distribution: "uniform", seed: null },
};

export function toModelJson(spec: ModelSpec, summary?: TrainingSummary): ModelJson {
  const layout = paramLayout(spec);
  const layers: DenseLayerJson[] = layout.layers.map((l, i) => ({
    class_name: "Dense",
    config: {
      units: l.units,
      activation: l.activation,
      use_bias: true,
      kernel_initializer: GLOROT_UNIFORM,
      bias_initializer: { class_name: "Zeros", config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
      name: `dense_Dense${i + 1}`,
      trainable: true,
      ...(i === 0
        ? { batch_input_shape: [null, spec.inputSize] as [null, number], dtype: "float32" as const }
        : {}),
    },
  }));
  const weights = layers.flatMap((layer, i) => [
    {
      name: `${layer.config.name}/kernel`,
      shape: [layout.layers[i].inputs, layout.layers[i].units],
      dtype: "float32" as const,
    },
    {
      name: `${layer.config.name}/bias`,
      shape: [layout.layers[i].units],
      dtype: "float32" as const,
    },
  ]);
  return {
    modelTopology: {
      class_name: "Sequential",
      config: { name: "shardfit", layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    format: "layers-model",
    generatedBy: "shardfit",
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights }],
    ...(summary ? { userDefinedMetadata: { shardfit: summary } } : {}),
  };
}

export function weightsBytes(params: Float32Array): Uint8Array {
  return new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
}

export class ModelFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "ModelFormatError";
  }
}

export interface LoadedModel {
  readonly spec: ModelSpec;
  readonly layout: ParamLayout;
  readonly params: Float32Array;
  readonly summary?: TrainingSummary;
}

/**
 * Validates a Layers-format Dense stack (topology, manifest, byte length, finite weights)
 * and returns its spec and flat parameters. `json` is the parsed `model.json`.
 */
export function fromLayersModel(
  json: unknown,
  weights: Uint8Array,
  files = { model: MODEL_FILE, weights: WEIGHTS_FILE },
): LoadedModel {
  const fail = (msg: string): never => {
    throw new ModelFormatError(files.model, msg);
  };
  const m = json as Partial<ModelJson> | null;
  if (typeof m !== "object" || m === null) fail("expected a JSON object");
  const topology = m!.modelTopology;
  if (topology?.class_name !== "Sequential")
    fail(
      `modelTopology.class_name: expected "Sequential", got ${JSON.stringify(topology?.class_name)}`,
    );
  const layers = topology!.config?.layers;
  if (!Array.isArray(layers) || layers.length === 0)
    fail("modelTopology.config.layers: expected a non-empty array");
  const units: number[] = [];
  let inputSize = 0;
  layers!.forEach((layer, i) => {
    const where = `modelTopology.config.layers[${i}]`;
    if (layer?.class_name !== "Dense")
      fail(`${where}.class_name: expected "Dense", got ${JSON.stringify(layer?.class_name)}`);
    const c = layer.config;
    if (!Number.isInteger(c?.units) || c.units <= 0)
      fail(`${where}.config.units: expected a positive integer, got ${JSON.stringify(c?.units)}`);
    const want = i === layers!.length - 1 ? "softmax" : "relu";
    if (c.activation !== want)
      fail(`${where}.config.activation: expected "${want}", got ${JSON.stringify(c.activation)}`);
    if ((c.use_bias as boolean) === false) fail(`${where}.config.use_bias: expected true`);
    if (i === 0) {
      const shape = c.batch_input_shape;
      if (
        !Array.isArray(shape) ||
        shape.length !== 2 ||
        !Number.isInteger(shape[1]) ||
        shape[1] <= 0
      ) {
        fail(
          `${where}.config.batch_input_shape: expected [null, inputs], got ${JSON.stringify(shape)}`,
        );
      }
      inputSize = shape![1];
    }
    units.push(c.units);
  });
  const spec: ModelSpec = {
    inputSize,
    hidden: units.slice(0, -1),
    classes: units[units.length - 1],
  };
  const layout = paramLayout(spec);

  const manifest = m!.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0)
    fail("weightsManifest: expected a non-empty array");
  const specs = manifest!.flatMap((group) => group?.weights ?? []);
  const expected = layout.layers.flatMap((l) => [[l.inputs, l.units], [l.units]]);
  if (specs.length !== expected.length)
    fail(`weightsManifest: expected ${expected.length} weights, got ${specs.length}`);
  specs.forEach((s, i) => {
    if (s.dtype !== undefined && s.dtype !== "float32")
      fail(`weightsManifest weight ${s.name}: expected dtype float32, got ${s.dtype}`);
    if (JSON.stringify(s.shape) !== JSON.stringify(expected[i])) {
      fail(
        `weightsManifest weight ${i} (${s.name}): expected shape ${JSON.stringify(expected[i])}, got ${JSON.stringify(s.shape)}`,
      );
    }
  });
  if (weights.byteLength !== layout.size * 4) {
    throw new ModelFormatError(
      files.weights,
      `expected ${layout.size * 4} bytes (${layout.size} float32 weights), got ${weights.byteLength}`,
    );
  }
  const params = new Float32Array(layout.size);
  new Uint8Array(params.buffer).set(weights);
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i]))
      throw new ModelFormatError(
        files.weights,
        `weight ${i} is ${params[i]}; expected finite numbers`,
      );
  }
  return { spec, layout, params, summary: m!.userDefinedMetadata?.shardfit };
}
