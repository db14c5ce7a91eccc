import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import { toModelJson, weightsBytes } from "../../src/core/format/layers-json.ts";
import { initParams } from "../../src/core/model/init.ts";
import { DEFAULT_SPEC } from "../../src/core/model/presets.ts";
import { sameSpec } from "../../src/core/model/sequential.ts";

let root: string;
const params = initParams(DEFAULT_SPEC, 1);
/** A fresh, mutable copy of a valid model.json (tests break one field each). */
// biome-ignore lint/suspicious/noExplicitAny: the tests poke arbitrary fields of the JSON.
const goodJson = (): any => structuredClone(toModelJson(DEFAULT_SPEC));

/** Writes a model directory with the given files; returns its path. */
async function modelDir(
  name: string,
  files: { json?: unknown; text?: string; weights?: Uint8Array },
) {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  if (files.json !== undefined || files.text !== undefined) {
    await writeFile(join(dir, "model.json"), files.text ?? JSON.stringify(files.json));
  }
  if (files.weights) await writeFile(join(dir, "weights.bin"), files.weights);
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "shardfit-model-files-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("loading model files", () => {
  test("a valid directory loads its spec and weights", async () => {
    const model = await loadModelDir(
      await modelDir("good", { json: goodJson(), weights: weightsBytes(params) }),
    );
    expect(sameSpec(model.spec, DEFAULT_SPEC)).toBe(true);
    expect(model.params).toEqual(params);
  });

  const nan = params.slice();
  nan[1234] = Number.NaN;
  const wrongShape = goodJson();
  wrongShape.weightsManifest[0].weights[2].shape = [512, 11];
  const unknownActivation = goodJson();
  unknownActivation.modelTopology.config.layers[0].config.activation = "mish";
  const conv = goodJson();
  conv.modelTopology.config.layers[1].class_name = "Conv2D";
  const noManifest = goodJson();
  delete noManifest.weightsManifest;

  test.each([
    ["no model.json", { weights: weightsBytes(params) }, /model.json: file not found/],
    ["model.json without weights", { json: goodJson() }, /weights.bin: file not found/],
    ["invalid JSON", { text: "{", weights: weightsBytes(params) }, /model.json: invalid JSON/],
    [
      "weights of the wrong size",
      { json: goodJson(), weights: weightsBytes(params).subarray(0, 4000) },
      /weights.bin: expected 1628200 bytes \(407050 float32 weights\), got 4000/,
    ],
    [
      "NaN weights",
      { json: goodJson(), weights: weightsBytes(nan) },
      /weights.bin: weight 1234 is NaN; expected finite numbers/,
    ],
    [
      "a manifest shape that does not match",
      { json: wrongShape, weights: weightsBytes(params) },
      /model.json: weightsManifest weight 2 \(dense_Dense2\/kernel\): expected shape \[512,10\], got \[512,11\]/,
    ],
    [
      "an activation shardfit does not have",
      { json: unknownActivation, weights: weightsBytes(params) },
      /model.json: layers\[0\] "dense_Dense1" \(Dense\): activation: expected "linear" or "relu" or "sigmoid" or "tanh" or "softmax" or "gelu" or "elu", got "mish"/,
    ],
    [
      "a non-Dense layer",
      { json: conv, weights: weightsBytes(params) },
      /model.json: layers\[1\] "dense_Dense2" \(Conv2D\): filters: expected a positive integer, got nothing/,
    ],
    [
      "no weights manifest",
      { json: noManifest, weights: weightsBytes(params) },
      /model.json: weightsManifest: expected a non-empty array/,
    ],
  ])("%s is a clear error naming the file", async (name, files, message) => {
    const dir = await modelDir(name.replaceAll(" ", "-"), files as Parameters<typeof modelDir>[1]);
    await expect(loadModelDir(dir)).rejects.toThrow(message as RegExp);
  });
});
