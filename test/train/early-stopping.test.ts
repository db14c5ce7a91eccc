import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import { type Dataset, sliceSet } from "../../src/core/data/dataset.ts";
import { forward } from "../../src/core/model/forward.ts";
import { modelLayout } from "../../src/core/model/sequential.ts";
import { train } from "../../src/train/train.ts";
import type { TrainOptions } from "../../src/train/types.ts";

let dataset: Dataset;
let dir: string;
beforeAll(async () => {
  const mnist = await loadIdxDataset();
  // The test set is the training set's last 200 of 1000: what validationSplit 0.2 holds out.
  dataset = { train: sliceSet(mnist.train, 0, 1000), test: sliceSet(mnist.train, 800, 1000) };
  dir = await mkdtemp(join(tmpdir(), "shardfit-early-stopping-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const base = (): TrainOptions => ({
  dataset,
  workers: 2,
  batchSize: 100,
  validationSplit: 0.2,
  out: false,
});

// With a min_delta no epoch can beat, the first epoch stays the best and every later one
// waits: patience P stops after epoch P + 1, deterministically.
const neverImproves = { monitor: "loss", minDelta: 1e3 } as const;

describe("validation split", () => {
  test("the last 20% is held out and its val_ metrics are the workers' test metrics on it", async () => {
    const starts: number[] = [];
    const result = await train({
      ...base(),
      epochs: 2,
      onProgress: (e) => e.type === "start" && starts.push(e.trainSamples),
    });
    expect(starts).toEqual([800]);
    for (const epoch of result.history) {
      // Main-thread float64 forward pass vs the workers' evaluation of the same 200 samples.
      expect(epoch.valLoss).toBeCloseTo(epoch.testLoss, 4);
      expect(epoch.valAccuracy).toBe(epoch.testAccuracy);
    }
    expect(result.stop).toEqual({ reason: "epochs", epoch: 2 });
  });
});

describe("early stopping", () => {
  test("stops before the last epoch, restores and saves the best epoch's weights", async () => {
    const out = join(dir, "model");
    const [stopped, firstEpochOnly] = [
      await train({
        ...base(),
        ...neverImproves,
        epochs: 10,
        earlyStopping: 1,
        restoreBestWeights: true,
        out,
        checkpointDir: false,
      }),
      await train({ ...base(), epochs: 1 }),
    ];
    expect(stopped.history.length).toBe(2);
    expect(stopped.stop).toMatchObject({ reason: "early stopping", epoch: 2, bestEpoch: 1 });
    expect(stopped.kept).toEqual({ epoch: 1, reason: "restore best weights" });
    expect(stopped.params).toEqual(firstEpochOnly.params);
    const saved = await loadModelDir(out);
    expect(saved.params).toEqual(firstEpochOnly.params);
  });

  test("--resume continues its wait and its kept weights exactly", async () => {
    const options = (name: string, epochs: number): TrainOptions => ({
      ...base(),
      ...neverImproves,
      epochs,
      earlyStopping: 2,
      restoreBestWeights: true,
      checkpointDir: join(dir, name),
    });
    const whole = await train(options("whole", 10));
    await train(options("split", 2));
    const resumed = await train({ ...options("split", 10), resume: true });
    expect(whole.stop).toMatchObject({ reason: "early stopping", epoch: 3, bestEpoch: 1 });
    expect(resumed.stop).toEqual(whole.stop);
    expect(resumed.kept).toEqual({ epoch: 1, reason: "restore best weights" });
    // Epoch 1's weights came back from the checkpoint's copy (epoch 2's were current then).
    expect(resumed.params).toEqual(whole.params);
  });

  test("save best alone: the model file holds the epoch the result names", async () => {
    const out = join(dir, "best");
    const result = await train({
      ...base(),
      monitor: "val_loss",
      epochs: 3,
      saveBest: true,
      out,
      checkpointDir: false,
    });
    const best = result.history.reduce((a, b) => ((b.valLoss ?? 0) < (a.valLoss ?? 0) ? b : a));
    expect(result.saved).toEqual({ epoch: best.epoch, reason: "save best" });
    expect(result.kept).toEqual({ epoch: 3, reason: "last epoch" });
    const bestOnly = await train({ ...base(), epochs: best.epoch });
    expect((await loadModelDir(out)).params).toEqual(bestOnly.params);
  });
});

describe("validation of a regression on arrays", () => {
  test("val_loss and val_mae are Keras's History keys, equal to the model on the held-out rows, and can be monitored", async () => {
    // y = Σ x / 4 + noise-free: a regression a 8-8-1 network learns a little in a few epochs.
    const n = 500;
    const x = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 0.7));
    const y = Float32Array.from(
      { length: n },
      (_, r) => (x[4 * r] + x[4 * r + 1] + x[4 * r + 2] + x[4 * r + 3]) / 4,
    );
    const split = (from: number, to: number) => ({
      x: { data: x.slice(from * 4, to * 4), shape: [to - from, 4] },
      y: { kind: "numbers" as const, data: y.slice(from, to), outputs: 1 },
    });
    const result = await train({
      data: { train: split(0, 400), test: split(400, 500) },
      hidden: [8, 8],
      epochs: 3,
      batchSize: 40,
      workers: 2,
      metrics: ["mae"],
      validationSplit: 0.25,
      earlyStopping: 5,
      monitor: "val_mae",
      out: false,
    });
    expect(Object.keys(result.kerasHistory).sort()).toEqual(["loss", "mae", "val_loss", "val_mae"]);
    // The held-out rows are the last 100 of the 400 training rows; the final weights on them:
    const model = { layout: modelLayout(result.spec), params: result.params };
    const predicted = forward(model, x.slice(300 * 4, 400 * 4), 100);
    let absolute = 0;
    let squared = 0;
    for (let r = 0; r < 100; r++) {
      absolute += Math.abs(predicted[r] - y[300 + r]);
      squared += (predicted[r] - y[300 + r]) ** 2;
    }
    expect(result.kerasHistory.val_mae.at(-1)).toBeCloseTo(absolute / 100, 5);
    expect(result.kerasHistory.val_loss.at(-1)).toBeCloseTo(squared / 100, 5);
    expect(result.stop.reason).toBe("epochs");
  }, 300_000);
});
