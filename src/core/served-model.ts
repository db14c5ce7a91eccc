import { type Prediction, predictPixels, predictPixelsBatch } from "./forward.ts";
import {
  fromLayersModel,
  type LoadedModel,
  MODEL_FILE,
  type ModelJson,
  toModelJson,
  WEIGHTS_FILE,
} from "./layers-format.ts";
import { predictSequentialPixels } from "./model/forward.ts";
import {
  fromSequentialLayersModel,
  type LoadedSequentialModel,
  type SequentialModelJson,
  toSequentialModelJson,
} from "./model/layers-json.ts";
import { kerasClass, shapeSize } from "./model/sequential.ts";
import { describeTrainSpec, inputSizeOf, isSequentialSpec } from "./train-spec.ts";

/**
 * A trained model as the predict server, the edge and the page hold it: a Dense stack
 * (layers-format.ts, the MLP's files and plain-TS forward, unchanged) or any Sequential model
 * (model/layers-json.ts, model/forward.ts).
 */
export type ServedModel = LoadedModel | LoadedSequentialModel;

export const isSequentialModel = (model: ServedModel): model is LoadedSequentialModel =>
  isSequentialSpec(model.spec);

/** One row of a model summary (GET /model, the page). */
export interface LayerRow {
  readonly name: string;
  readonly className: string;
  readonly outputShape: readonly number[];
  readonly activation?: string;
  readonly parameters: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether every layer of the topology is a Dense: such files keep the Dense stack's reader. */
function denseOnly(json: unknown): boolean {
  const topology = isObject(json) ? json.modelTopology : undefined;
  const config = isObject(topology) ? topology.config : undefined;
  const layers = isObject(config) ? config.layers : undefined;
  return !Array.isArray(layers) || layers.every((l) => isObject(l) && l.class_name === "Dense");
}

/**
 * Reads a Layers-format model (`json` is the parsed model.json). Dense stacks in shardfit's
 * MLP form load as before (same errors); any other Sequential of Conv2D, MaxPooling2D,
 * Flatten, Dense, Dropout and Reshape loads through model/layers-json.ts.
 */
export function loadServedModel(
  json: unknown,
  weights: Uint8Array,
  files = { model: MODEL_FILE, weights: WEIGHTS_FILE },
): ServedModel {
  if (!denseOnly(json)) return fromSequentialLayersModel(json, weights, files);
  try {
    return fromLayersModel(json, weights, files);
  } catch (mlpError) {
    // A Dense stack the MLP reader refuses (a linear layer, no bias…) may still be a Sequential.
    try {
      return fromSequentialLayersModel(json, weights, files);
    } catch {
      throw mlpError;
    }
  }
}

/** The model.json that describes `model` (for the MLP, exactly what training wrote). */
export function modelJsonOf(model: ServedModel): ModelJson | SequentialModelJson {
  return isSequentialModel(model)
    ? toSequentialModelJson(model.layout, model.summary)
    : toModelJson(model.spec, model.summary);
}

/** `784→512→10`, or `28×28×1 → Conv2D(32, 3×3, relu) → … → Dense(10, softmax)`. */
export const describeModel = (model: ServedModel): string => describeTrainSpec(model.spec);

/** Pixels per input image. */
export const modelInputSize = (model: ServedModel): number => inputSizeOf(model.spec);

/** Input shape per image: `[784]` for the MLP, `[28, 28, 1]` for the convnet. */
export const modelInputShape = (model: ServedModel): readonly number[] =>
  isSequentialModel(model) ? model.layout.inputShape : [model.spec.inputSize];

export const modelClasses = (model: ServedModel): number =>
  isSequentialModel(model) ? shapeSize(model.layout.outputShape) : model.spec.classes;

/** Predicts each image (pixel values 0..255, `modelInputSize` of them) in one batch. */
export function predictImages(
  model: ServedModel,
  images: readonly ArrayLike<number>[],
): Prediction[] {
  return isSequentialModel(model)
    ? predictSequentialPixels(model, images)
    : predictPixelsBatch(model, images);
}

/** Predicts one image (pixel values 0..255). */
export function predictImage(model: ServedModel, pixels: ArrayLike<number>): Prediction {
  return isSequentialModel(model)
    ? predictSequentialPixels(model, [pixels])[0]
    : predictPixels(model, pixels);
}

/** The layers of a Sequential model with their output shapes and parameter counts. */
export function layerRows(model: LoadedSequentialModel): LayerRow[] {
  return model.layout.layers.map((layer) => {
    const spec = layer.spec;
    return {
      name: layer.name,
      className: kerasClass(spec.kind),
      outputShape: layer.outputShape,
      ...("activation" in spec ? { activation: spec.activation } : {}),
      parameters: layer.weights.reduce((a, w) => a + w.size, 0),
    };
  });
}
