/** `train --model FILE`: a topology tfjs wrote trains from the command line; bad files are named. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { finished } from "../support/process.ts";
import { writeSmallMnist } from "../support/small-mnist.ts";

let dir: string;
let data: string;

/** What tfjs `model.toJSON()` writes for Conv2D(16, 5×5, strides 2, same) → Flatten → Dense(10). */
function tfjsTopology(): string {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 16,
        kernelSize: 5,
        strides: 2,
        padding: "same",
        activation: "relu",
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  const json = model.toJSON() as string;
  model.dispose();
  return json;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "shardfit-train-model-"));
  data = join(dir, "data");
  await mkdir(data);
  await writeSmallMnist(data, 2000, 500);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** One epoch on the test's small data set with the model in `file`, saved to `dir/out`. */
function trainOneEpoch(file: string, out: string) {
  return cli("--model", file, "--data", data, "--epochs", "1", "--out", join(dir, out));
}

function cli(...args: string[]) {
  const proc = Bun.spawn([process.execPath, "src/cli/train.ts", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return finished(proc);
}

describe("train --model FILE", () => {
  test("a topology written by tfjs model.toJSON() trains and is saved as that model", async () => {
    const file = join(dir, "strided.json");
    await writeFile(file, tfjsTopology());
    const out = join(dir, "strided-model");
    const run = await cli(
      ...["--model", file, "--data", data, "--epochs", "1", "--workers", "2"],
      ...["--out", out, "--json"],
    );
    expect(run).toMatchObject({ code: 0 }); // on failure, shows what the command printed
    const summary = JSON.parse(run.stdout.trim());
    expect(summary).toMatchObject({ epochs: 1, workers: 2, batchSize: 64, modelDir: out });
    // One epoch over 2,000 images beats chance (10%) by far.
    expect(summary.testAccuracy).toBeGreaterThan(0.6);
    const saved = JSON.parse(await readFile(join(out, "model.json"), "utf8"));
    const [conv] = saved.modelTopology.config.layers;
    expect(conv.class_name).toBe("Conv2D");
    expect(conv.config).toMatchObject({ filters: 16, kernel_size: [5, 5], strides: [2, 2] });
    expect(conv.config.padding).toBe("same");
    // 5·5·1·16 + 16 conv weights, 14·14·16·10 + 10 dense weights, 4 bytes each.
    expect((await readFile(join(out, "weights.bin"))).length).toBe(4 * (416 + 31370));
  }, 180_000);

  test("a topology with an unsupported layer is refused naming the file and the layer", async () => {
    const topology = JSON.parse(tfjsTopology());
    topology.config.layers[1] = {
      class_name: "BatchNormalization",
      config: { name: "batch_normalization_BatchNormalization1", axis: -1 },
    };
    const file = join(dir, "batchnorm.json");
    await writeFile(file, JSON.stringify(topology));
    const run = await trainOneEpoch(file, "x");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: layers[1] "batch_normalization_BatchNormalization1"`);
    expect(run.stderr).toContain(
      'class_name: expected one of Conv2D, MaxPooling2D, Dense, Flatten, Dropout, Reshape, got "BatchNormalization"',
    );
    expect(run.stderr).not.toContain("    at ");
  });

  test("a topology whose output cannot train on class labels is refused naming the file", async () => {
    const topology = JSON.parse(tfjsTopology());
    topology.config.layers[2].config.activation = "linear";
    const file = join(dir, "linear.json");
    await writeFile(file, JSON.stringify(topology));
    const run = await trainOneEpoch(file, "y");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${file}: loss sparse_categorical_crossentropy needs probabilities: the last layer's activation must be softmax or sigmoid, got linear`,
    );
  });

  test("a model too large for the machine is refused before allocating, naming the file, the layer and the figures", async () => {
    const topology = JSON.parse(tfjsTopology());
    Object.assign(topology.config.layers[2].config, { units: 1e9, activation: "relu" });
    topology.config.layers.push({
      class_name: "Dense",
      config: { units: 10, activation: "softmax" },
    });
    const file = join(dir, "huge.json");
    await writeFile(file, JSON.stringify(topology));
    const run = await trainOneEpoch(file, "huge");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `${file}: training needs about [\\d.]+ [TP]iB \\([\\d.]+ [KMG]iB of it the data\\) with \\d+ workers at batch 64; this machine has [\\d.]+ GiB\\. Its largest, layer 2 \\(Dense\\(1000000000, relu\\)`,
      ),
    );
  });

  test("a missing model file is named", async () => {
    const run = await cli("--model", join(dir, "nope.json"), "--data", data, "--out", "x");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${join(dir, "nope.json")}: file not found`);
  });

  test("--hidden with --model convnet is a usage error naming both", async () => {
    const run = await cli("--model", "convnet", "--hidden", "64");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--hidden: .*"convnet"/);
  });
});
