import { join } from "node:path";
import {
  fromLayersModel,
  type LoadedModel,
  MODEL_FILE,
  type TrainingSummary,
  toModelJson,
  WEIGHTS_FILE,
  weightsBytes,
  withModelIo,
} from "../../core/format/layers-json.ts";
import type { ModelIo } from "../../core/format/model-io.ts";
import type { ModelSpec } from "../../core/model/sequential.ts";
import { readRequired, writeFilesAtomically } from "./files.ts";

/** Loads and validates a model's `model.json` + `weights.bin` from `dir` (Bun and Deno provide node:fs). */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
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
  return fromLayersModel(json, weights, { model: modelPath, weights: weightsPath });
}

/** Writes `model.json` + `weights.bin` into `dir`, never leaving a half-written pair. */
export async function saveModelDir(
  dir: string,
  spec: ModelSpec,
  params: Float32Array,
  summary: TrainingSummary,
  trainingConfig?: Record<string, unknown>,
): Promise<void> {
  await writeFilesAtomically(dir, {
    [WEIGHTS_FILE]: weightsBytes(params),
    [MODEL_FILE]: JSON.stringify(toModelJson(spec, summary, trainingConfig)),
  });
}

/**
 * Records in a saved model what its inputs are made from and what its outputs mean (a CSV
 * table's preprocessing, class names): model.json is rewritten whole, atomically, with the
 * weights checked to belong to it first.
 */
export async function saveModelIo(dir: string, io: ModelIo): Promise<void> {
  const files = { model: join(dir, MODEL_FILE), weights: join(dir, WEIGHTS_FILE) };
  const text = new TextDecoder().decode(await readRequired(files.model, "model topology"));
  // The file's own JSON, so every other field it has (a training config, …) is kept.
  const json = withModelIo(JSON.parse(text) as { userDefinedMetadata?: object }, io);
  // Checked against the weights, as a reader will check it, before it replaces the file.
  fromLayersModel(json, await readRequired(files.weights, "model weights"), files);
  await writeFilesAtomically(dir, { [MODEL_FILE]: JSON.stringify(json) });
}
