import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import type { TrainOptions } from "../../src/train/types.ts";
import { sameGlobalBatches, smallRun } from "../support/global-batches.ts";
import { maxAbsDiff } from "../support/reference.ts";
import { spawnWorker, TOKEN, type WorkerProcess } from "../support/remote.ts";

let dataset: Dataset;
let dir: string;
beforeAll(async () => {
  dataset = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-plateau-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// smallRun: 8 steps per epoch. With a min_delta no epoch can beat, epoch 1 is the best and
// patience 1 halves the rate after epoch 2 (0.05 → 0.025) and again after epoch 3.
const plateau = (epochs: number, more: TrainOptions = {}): TrainOptions => ({
  ...smallRun(dataset),
  workers: 2,
  epochs,
  optimizer: "sgd",
  learningRate: 0.05,
  monitor: "loss",
  reduceLrOnPlateau: "factor=0.5,patience=1,min_delta=1000",
  ...more,
});

describe("reduce on plateau in training", () => {
  test("the reduced rate reaches the workers' update: the run equals a piecewise schedule's", async () => {
    const reduced = await trainWithHooks(plateau(3), sameGlobalBatches());
    const scheduled = await trainWithHooks(
      {
        ...plateau(3),
        reduceLrOnPlateau: undefined,
        lrSchedule: "piecewise:boundaries=15,values=0.05/0.025",
      },
      sameGlobalBatches(),
    );
    expect(reduced.history.map((m) => m.learningRate)).toEqual([0.05, 0.05, 0.025]);
    expect(reduced.params).toEqual(scheduled.params);
  });

  test("--resume goes on at the reduced rate: the uninterrupted weights exactly", async () => {
    const checkpointDir = (name: string) => ({ checkpointDir: join(dir, name) });
    const whole = await trainWithHooks(plateau(4, checkpointDir("whole")), sameGlobalBatches());
    await trainWithHooks(plateau(3, checkpointDir("split")), sameGlobalBatches());
    const resumed = await trainWithHooks(
      plateau(4, { ...checkpointDir("split"), resume: true }),
      sameGlobalBatches(),
    );
    expect(whole.history.map((m) => m.learningRate)).toEqual([0.05, 0.05, 0.025, 0.0125]);
    expect(resumed.history.map((m) => m.learningRate)).toEqual([0.05, 0.05, 0.025, 0.0125]);
    expect(resumed.params).toEqual(whole.params);
  });

  test("over the network the coordinator updates at the reduced rate too", async () => {
    const local = await trainWithHooks(plateau(3), sameGlobalBatches());
    let worker: WorkerProcess | undefined;
    try {
      const networked = await trainWithHooks(
        {
          ...plateau(3, { remote: { expectWorkers: 1, token: TOKEN } }),
          onProgress: (event) => {
            if (event.type !== "listening") return;
            const args = ["--join", event.joinUrl, "--token", TOKEN, "--threads", "2"];
            worker = spawnWorker("bun", args);
          },
        },
        sameGlobalBatches(),
      );
      expect(networked.history.map((m) => m.learningRate)).toEqual([0.05, 0.05, 0.025]);
      expect(maxAbsDiff(networked.params, local.params)).toBeLessThanOrEqual(1e-5);
    } finally {
      worker?.process.kill("SIGKILL");
    }
  }, 120_000);
});
