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
  dir = await mkdtemp(join(tmpdir(), "shardfit-schedule-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// smallRun: 1000 samples in batches of 128, 8 steps per epoch (iterations 0..7 in epoch 1).
const sgd = (epochs: number, lrSchedule?: string): TrainOptions => ({
  ...smallRun(dataset),
  workers: 2,
  epochs,
  optimizer: "sgd",
  learningRate: 0.05,
  lrSchedule,
});

describe("a learning-rate schedule in training", () => {
  test("reaches the workers' update: a rate of 1e-30 after epoch 1 keeps epoch 1's weights", async () => {
    const oneEpoch = await trainWithHooks(sgd(1), sameGlobalBatches());
    const frozen = await trainWithHooks(
      sgd(2, "piecewise:boundaries=7,values=0.05/1e-30"),
      sameGlobalBatches(),
    );
    const unscheduled = await trainWithHooks(sgd(2), sameGlobalBatches());
    expect(maxAbsDiff(frozen.params, oneEpoch.params)).toBeLessThan(1e-12);
    // Without the schedule, epoch 2 moves the weights.
    expect(maxAbsDiff(unscheduled.params, oneEpoch.params)).toBeGreaterThan(1e-3);
  });

  test("a resumed run continues on the same curve: the uninterrupted weights exactly", async () => {
    const schedule = "exponential:decay_steps=4,decay_rate=0.5";
    const options = (epochs: number, name: string): TrainOptions => ({
      ...sgd(epochs, schedule),
      checkpointDir: join(dir, name),
    });
    const whole = await trainWithHooks(options(3, "whole"), sameGlobalBatches());
    await trainWithHooks(options(1, "split"), sameGlobalBatches());
    const resumed = await trainWithHooks(
      { ...options(3, "split"), resume: true },
      sameGlobalBatches(),
    );
    expect(resumed.params).toEqual(whole.params);
    // A different schedule cannot resume it.
    await expect(
      trainWithHooks(
        {
          ...options(3, "split"),
          resume: true,
          lrSchedule: "exponential:decay_steps=4,decay_rate=0.6",
        },
        sameGlobalBatches(),
      ),
    ).rejects.toThrow("schedule is");
  });

  test("over the network the coordinator's update follows the schedule", async () => {
    const schedule = "exponential:decay_steps=4,decay_rate=0.5";
    const local = await trainWithHooks(sgd(2, schedule), sameGlobalBatches());
    const unscheduled = await trainWithHooks(sgd(2), sameGlobalBatches());
    let worker: WorkerProcess | undefined;
    try {
      const networked = await trainWithHooks(
        {
          ...sgd(2, schedule),
          remote: { expectWorkers: 1, token: TOKEN },
          onProgress: (event) => {
            if (event.type !== "listening") return;
            const args = ["--join", event.joinUrl, "--token", TOKEN, "--threads", "2"];
            worker = spawnWorker("bun", args);
          },
        },
        sameGlobalBatches(),
      );
      expect(maxAbsDiff(networked.params, local.params)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(networked.params, unscheduled.params)).toBeGreaterThan(1e-3);
    } finally {
      worker?.process.kill("SIGKILL");
    }
  }, 120_000);
});
