import * as v from "valibot";
import type { ConfusionMatrix } from "./confusion.ts";
import type { EpochMetrics } from "./metrics.ts";
import { type ModelSpec, type ParamLayout, paramLayout } from "./spec.ts";
import { at, expecting, objectMessage, show, validate } from "./validate.ts";

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

export interface WeightSpecJson {
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
  return layersModelJson(layers, weights, summary);
}

/**
 * A Sequential model.json in tfjs Layers format around its layers' configs and weight specs
 * (weights.bin holds the weights in that order), with shardfit's training summary.
 */
export function layersModelJson<Layer>(
  layers: Layer[],
  weights: WeightSpecJson[],
  summary?: TrainingSummary,
) {
  return {
    modelTopology: {
      class_name: "Sequential" as const,
      config: { name: "shardfit", layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    format: "layers-model" as const,
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

const positiveInt = (what = "a positive integer") =>
  v.pipe(v.number(expecting(what)), v.integer(expecting(what)), v.minValue(1, expecting(what)));

const DenseLayer = v.object({
  class_name: v.literal("Dense"),
  // Extra Keras fields (initializers, regularizers, …) are allowed and ignored.
  config: v.looseObject(
    {
      units: positiveInt(),
      // Which activation depends on the position; checked on the whole list below.
      activation: v.unknown(),
      use_bias: v.optional(v.literal(true)),
      batch_input_shape: v.optional(
        v.custom<[unknown, number]>(
          (x) => Array.isArray(x) && x.length === 2 && Number.isInteger(x[1]) && x[1] > 0,
          expecting("[null, inputs]"),
        ),
      ),
    },
    objectMessage("a Dense layer config object"),
  ),
});

const DenseLayers = v.pipe(
  v.array(DenseLayer, expecting("a non-empty array")),
  v.minLength(1, expecting("a non-empty array")),
  // Hidden layers are ReLU, the last is softmax; the first declares the input width.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const layers = dataset.value;
    for (let i = 0; i < layers.length; i++) {
      const config = layers[i].config;
      const want = i === layers.length - 1 ? "softmax" : "relu";
      if (config.activation !== want) {
        addIssue({
          message: `expected "${want}", got ${show(config.activation)}`,
          path: [at(layers, i), at(layers[i], "config"), at(config, "activation")],
        });
        return;
      }
      if (i === 0 && config.batch_input_shape === undefined) {
        addIssue({
          message: "expected [null, inputs], got undefined",
          path: [at(layers, 0), at(layers[0], "config"), at(config, "batch_input_shape")],
        });
        return;
      }
    }
  }),
);

const WeightSpec = v.object({
  name: v.string(),
  shape: v.array(v.pipe(v.number(), v.integer(), v.minValue(0))),
  dtype: v.optional(v.literal("float32")),
});

const ModelJsonSchema = v.object(
  {
    modelTopology: v.object(
      {
        class_name: v.literal("Sequential"),
        config: v.object(
          { layers: DenseLayers },
          objectMessage("an object", { layers: "an array of layers" }),
        ),
      },
      objectMessage("a Sequential model topology object", {
        class_name: '"Sequential"',
        config: "an object",
      }),
    ),
    format: v.optional(v.literal("layers-model")),
    weightsManifest: v.pipe(
      v.array(
        v.object(
          { paths: v.array(v.string()), weights: v.array(WeightSpec) },
          objectMessage("a weights group object", {
            paths: "an array of file names",
            weights: "an array of weight specs",
          }),
        ),
        expecting("a non-empty array"),
      ),
      v.minLength(1, expecting("a non-empty array")),
    ),
  },
  objectMessage("a JSON object", {
    modelTopology: "a Sequential model topology object",
    weightsManifest: "a non-empty array",
  }),
);

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
 * Validates a Layers-format Dense stack (topology, manifest, byte length, finite weights)
 * and returns its spec and flat parameters. `json` is the parsed `model.json`. The structure
 * is checked by a valibot schema; the manifest shapes against the layout, the byte length
 * and the finite weights are plain checks below.
 */
export function fromLayersModel(
  json: unknown,
  weights: Uint8Array,
  files = { model: MODEL_FILE, weights: WEIGHTS_FILE },
): LoadedModel {
  const fail = (msg: string): never => {
    throw new ModelFormatError(files.model, msg);
  };
  const m = validate(ModelJsonSchema, json, fail);
  const layers = m.modelTopology.config.layers;
  const spec: ModelSpec = {
    inputSize: layers[0].config.batch_input_shape![1],
    hidden: layers.slice(0, -1).map((l) => l.config.units),
    classes: layers[layers.length - 1].config.units,
  };
  const layout = paramLayout(spec);

  const specs = m.weightsManifest.flatMap((group) => group.weights);
  const expected = layout.layers.flatMap((l) => [[l.inputs, l.units], [l.units]]);
  if (specs.length !== expected.length)
    fail(`weightsManifest: expected ${expected.length} weights, got ${specs.length}`);
  specs.forEach((s, i) => {
    if (JSON.stringify(s.shape) !== JSON.stringify(expected[i])) {
      fail(
        `weightsManifest weight ${i} (${s.name}): expected shape ${JSON.stringify(expected[i])}, got ${JSON.stringify(s.shape)}`,
      );
    }
  });
  const params = readWeightsBin(weights, layout.size, files.weights);
  return { spec, layout, params, summary: readSummary(json, spec.classes, fail) };
}

/**
 * The training summary of a model.json (`userDefinedMetadata.shardfit`), checked for a model
 * of `classes` outputs; undefined when the file has none. Both model readers use it.
 */
export function readSummary(
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
export function readWeightsBin(weights: Uint8Array, size: number, file: string): Float32Array {
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
