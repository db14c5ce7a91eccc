import { describe, expect, test } from "bun:test";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import { predictPixelsBatch } from "../../src/core/model/forward.ts";
import { createApp } from "../../src/server/app.ts";
import { train } from "../../src/train/train.ts";
import type { TrainOptions } from "../../src/train/types.ts";
import { smallConvnet } from "../support/small-convnet.ts";

/**
 * Model directories and checkpoints written by shardfit 0.1 (commit cf095fa; how: see
 * test/fixtures/v0.1/README.md). Whatever the code becomes, what users saved keeps loading,
 * serving and resuming: predictions and resumed weights must match what 0.1 itself produced.
 */
const FIXTURES = fileURLToPath(new URL("../fixtures/v0.1/", import.meta.url));
const RUN = { workers: 2, epochs: 3, trainLimit: 2048, testLimit: 512, batchSize: 128, seed: 7 };
const CASES: { name: string; options: TrainOptions }[] = [
  { name: "mlp", options: { hidden: [16] } },
  { name: "convnet", options: { batchSize: 64, model: smallConvnet(2) } },
];

interface Expected {
  predictions: { label: number; probabilities: number[] }[];
  resumedTo3: { history: { epoch: number; testAccuracy: number; testLoss: number }[] };
}
const expected: Record<string, Expected> = JSON.parse(
  await readFile(join(FIXTURES, "expected.json"), "utf8"),
);
const dataset = await loadIdxDataset();
const testImage = (i: number) => dataset.test.images.subarray(i * 784, (i + 1) * 784);

const floats = async (file: string) => {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

describe.each(CASES)("a $name saved by shardfit 0.1", ({ name, options }) => {
  const dir = join(FIXTURES, name);

  test("loads and predicts what 0.1 predicted", async () => {
    const model = await loadModelDir(join(dir, "model"));
    const got = predictPixelsBatch(model, [0, 1, 2, 3].map(testImage));
    expect(got.map((p) => p.label)).toEqual(expected[name].predictions.map((p) => p.label));
    for (const [i, p] of got.entries()) {
      const want = expected[name].predictions[i].probabilities;
      const worst = Math.max(...p.probabilities.map((v, k) => Math.abs(v - want[k])));
      expect(worst).toBeLessThan(1e-6);
    }
  });

  test("is served: GET /predict answers its prediction", async () => {
    const model = await loadModelDir(join(dir, "model"));
    const pixels = Buffer.from(testImage(0)).toString("base64url");
    const res = await createApp({ model }).request(`/predict?pixels=${pixels}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { label: number };
    expect(body.label).toBe(expected[name].predictions[0].label);
  });

  test("tf.loadLayersModel reads its model.json", async () => {
    const json = JSON.parse(await readFile(join(dir, "model", "model.json"), "utf8"));
    const weights = await readFile(join(dir, "model", "weights.bin"));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
      }),
    );
    const x = tf.tensor(testImage(0), [1, ...(model.inputs[0].shape.slice(1) as number[])]);
    const p = model.predict(tf.div(x, 255)) as tf.Tensor;
    expect(p.argMax(1).dataSync()[0]).toBe(expected[name].predictions[0].label);
    tf.dispose([x, p]);
    model.dispose();
  });

  test("its checkpoint resumes to the weights 0.1 reached", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "shardfit-fixture-"));
    try {
      await cp(join(dir, "checkpoint"), join(tmp, "checkpoint"), { recursive: true });
      const result = await train({
        ...RUN,
        ...options,
        out: false,
        checkpointDir: join(tmp, "checkpoint"),
        resume: true,
      });
      expect(result.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
      const want = await floats(join(dir, "resumed-epoch3", "weights.bin"));
      expect(result.params.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        worst = Math.max(worst, Math.abs(result.params[i] - want[i]));
      }
      expect(worst).toBeLessThan(1e-4);
      const last = expected[name].resumedTo3.history[2];
      expect(Math.abs(result.history[2].testAccuracy - last.testAccuracy)).toBeLessThan(0.01);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
