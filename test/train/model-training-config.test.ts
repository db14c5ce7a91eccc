import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { train } from "../../src/train/train.ts";
import type { TrainOptions } from "../../src/train/types.ts";

const KERAS3 = fileURLToPath(new URL("../fixtures/keras3/convnet.json", import.meta.url));

let dataset: Dataset;
let dir: string;
beforeAll(async () => {
  dataset = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-training-config-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (name: string, options: TrainOptions = {}) =>
  train({
    dataset,
    model: KERAS3,
    workers: 2,
    epochs: 1,
    trainLimit: 256,
    testLimit: 100,
    out: join(dir, name),
    checkpointDir: false,
    ...options,
  });

const savedTraining = async (name: string) =>
  JSON.parse(await readFile(join(dir, name, "model.json"), "utf8")).modelTopology.training_config;

describe("a Keras 3 model file's compile_config", () => {
  test("trains with its optimizer and writes it back", async () => {
    const rates: number[] = [];
    await run("file", {
      onProgress: (e) => e.type === "settings" && rates.push(e.learningRate),
    });
    expect(rates).toEqual([0.0005000000237487257]);
    expect(await savedTraining("file")).toEqual({
      optimizer_config: {
        class_name: "Adam",
        config: { learning_rate: 0.0005000000237487257, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
      },
      loss: "categorical_crossentropy",
      metrics: ["accuracy"],
    });
  });

  test("flags override it: a setting over the file's optimizer, another optimizer replaces it", async () => {
    await run("lr", { learningRate: 0.002 });
    expect((await savedTraining("lr")).optimizer_config).toMatchObject({
      class_name: "Adam",
      config: { learning_rate: 0.002 },
    });
    await run("sgd", { optimizer: "sgd" });
    expect((await savedTraining("sgd")).optimizer_config).toEqual({
      class_name: "SGD",
      config: { learning_rate: 0.01, momentum: 0, nesterov: false },
    });
  });
});
