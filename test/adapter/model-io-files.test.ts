/** saveModelIo: the io goes into a saved model.json, keeping its other fields, or nothing changes. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModelDir, saveModelIo } from "../../src/adapter/fs/model-files.ts";
import { saveCarsModel } from "../support/table-model.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-model-io-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test("other metadata and fields of model.json are kept; the io reads back", async () => {
  const model = join(dir, "kept");
  await saveCarsModel(model);
  const file = join(model, "model.json");
  const json = JSON.parse(await readFile(file, "utf8"));
  json.userDefinedMetadata.training_config = { loss: "sparse_categorical_crossentropy" };
  json.extra = 1;
  await writeFile(file, JSON.stringify(json));
  const { io } = await loadModelDir(model);
  await saveModelIo(model, {
    ...io,
    output: { task: "classification", classNames: ["B", "M", "S"] },
  });
  const after = JSON.parse(await readFile(file, "utf8"));
  expect(after.extra).toBe(1);
  expect(after.userDefinedMetadata.training_config).toEqual({
    loss: "sparse_categorical_crossentropy",
  });
  expect(after.userDefinedMetadata.shardfit.data).toBe("cars.csv");
  expect((await loadModelDir(model)).io.output).toEqual({
    task: "classification",
    classNames: ["B", "M", "S"],
  });
});

test("an io that does not fit the network is refused by name and the file is untouched", async () => {
  const model = join(dir, "refused");
  await saveCarsModel(model);
  const before = await readFile(join(model, "model.json"), "utf8");
  await expect(
    saveModelIo(model, { input: { kind: "numbers" }, output: { task: "regression", outputs: 4 } }),
  ).rejects.toThrow("shardfit_io: 4 outputs described, the model has 3");
  expect(await readFile(join(model, "model.json"), "utf8")).toBe(before);
});
