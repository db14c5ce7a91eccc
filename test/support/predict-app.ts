import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import type { LoadedModel } from "../../src/core/model/layers-json.ts";
import { trainedModelDir } from "./model-fixture.ts";

let cached: Promise<LoadedModel> | undefined;

/** The shared trained fixture model, loaded once per test process. */
export function fixtureModel(): Promise<LoadedModel> {
  cached ??= trainedModelDir().then(loadModelDir);
  return cached;
}
