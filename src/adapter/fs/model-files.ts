import { join } from "node:path";
import {
  fromLayersModel,
  type LoadedModel,
  MODEL_FILE,
  type TrainingSummary,
  toModelJson,
  WEIGHTS_FILE,
  weightsBytes,
} from "../../core/layers-format.ts";
import { toSequentialModelJson } from "../../core/model/layers-json.ts";
import { sequentialLayout } from "../../core/model/sequential.ts";
import { loadServedModel, type ServedModel } from "../../core/served-model.ts";
import { isSequentialSpec, type TrainSpec } from "../../core/train-spec.ts";
import { readRequired, writeFilesAtomically } from "./files.ts";

type Reader<T> = (
  json: unknown,
  weights: Uint8Array,
  files: { model: string; weights: string },
) => T;

/**
 * Loads and validates a Dense stack's `model.json` + `weights.bin` from `dir` (Bun and Deno
 * provide node:fs). {@link loadServedModelDir} reads any Sequential model.
 */
export function loadModelDir(dir: string): Promise<LoadedModel> {
  return readModelDir(dir, fromLayersModel);
}

/** Loads and validates any model shardfit serves (a Dense stack or a convnet) from `dir`. */
export function loadServedModelDir(dir: string): Promise<ServedModel> {
  return readModelDir(dir, loadServedModel);
}

async function readModelDir<T>(dir: string, reader: Reader<T>): Promise<T> {
  const modelPath = join(dir, MODEL_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  const hint = "train a model first";
  // One after the other so a missing directory is reported as its model.json, deterministically.
  const modelBytes = await readRequired(modelPath, "model topology", hint);
  const weights = await readRequired(weightsPath, "model weights", hint);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(modelBytes));
  } catch (error) {
    throw new Error(`${modelPath}: invalid JSON: ${(error as Error).message}`);
  }
  return reader(json, weights, { model: modelPath, weights: weightsPath });
}

/** Writes `model.json` + `weights.bin` into `dir`, never leaving a half-written pair. */
export async function saveModelDir(
  dir: string,
  spec: TrainSpec,
  params: Float32Array,
  summary: TrainingSummary,
): Promise<void> {
  const modelJson = isSequentialSpec(spec)
    ? toSequentialModelJson(sequentialLayout(spec), summary)
    : toModelJson(spec, summary);
  await writeFilesAtomically(dir, {
    [WEIGHTS_FILE]: weightsBytes(params),
    [MODEL_FILE]: JSON.stringify(modelJson),
  });
}
