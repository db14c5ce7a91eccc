import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  fromLayersModel,
  type LoadedModel,
  MODEL_FILE,
  WEIGHTS_FILE,
} from "../core/layers-format.ts";

/** Reads a file, turning "not found" into an error that names the file and what it is for. */
async function readModelFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`${path}: file not found (expected the ${what}; train a model first)`);
    }
    throw new Error(`${path}: cannot read the ${what}: ${(error as Error).message}`);
  }
}

/** Loads and validates `model.json` + `weights.bin` from `dir` (Bun and Deno provide node:fs). */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const modelPath = join(dir, MODEL_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  // One after the other so a missing directory is reported as its model.json, deterministically.
  const modelBytes = await readModelFile(modelPath, "model topology");
  const weights = await readModelFile(weightsPath, "model weights");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(modelBytes));
  } catch (error) {
    throw new Error(`${modelPath}: invalid JSON: ${(error as Error).message}`);
  }
  return fromLayersModel(json, weights, { model: modelPath, weights: weightsPath });
}
