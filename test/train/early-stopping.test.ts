import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import { type Dataset, sliceSet } from "../../src/core/data/dataset.ts";
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
