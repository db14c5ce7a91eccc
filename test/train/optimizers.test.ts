import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { initParams } from "../../src/core/model/init.ts";
import type { OptimizerSpec } from "../../src/core/optim/optimizer.ts";
import { KERAS_OPTIMIZERS } from "../../src/core/optim/spec.ts";
import { resolveTrainConfig } from "../../src/train/config.ts";
import type { TestHooks } from "../../src/train/hooks.ts";
import { TrainingRun } from "../../src/train/run.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "../../src/train/types.ts";
import { sameGlobalBatches, smallRun } from "../support/global-batches.ts";
import { maxAbsDiff } from "../support/reference.ts";
import { spawnWorker, TOKEN, type WorkerProcess } from "../support/remote.ts";

/**
 * `train()` with an optimizer the train options cannot name yet: the same phases, with the
 * resolved config's optimizer replaced.
 */
async function trainWith(
  options: TrainOptions,
  optimizer: OptimizerSpec,
  hooks: TestHooks = {},
  emit: (event: TrainEvent) => void = () => {},
): Promise<TrainResult> {
  const config = { ...resolveTrainConfig(options), optimizer };
  const run = await TrainingRun.open({ config, emit, hooks });
  try {
    for (let epoch = run.firstEpoch; epoch < config.epochs; epoch++) {
      await run.evaluate(epoch, await run.trainEpoch(epoch));
      await run.checkpoint(epoch);
    }
    return await run.save();
  } finally {
    await run.close();
  }
}

let dataset: Dataset;
let dir: string;
beforeAll(async () => {
  dataset = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-optimizers-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const { adam, adamw, sgd, adagrad } = KERAS_OPTIMIZERS;
const CASES: [string, OptimizerSpec][] = [
  ["adam", adam],
  ["adamw", adamw],
  ["sgd with Nesterov momentum", { ...sgd, momentum: 0.9, nesterov: true }],
  ["adagrad lr 0.05", { ...adagrad, learningRate: 0.05 }],
];

describe.each(CASES)("training with %s", (_, optimizer) => {
  test("2 workers compute what 1 computes, and the model learns", async () => {
    const runs = [1, 2].map((workers) =>
      trainWith({ ...smallRun(dataset), workers }, optimizer, sameGlobalBatches()),
    );
    const [one, two] = [await runs[0], await runs[1]];
    expect(maxAbsDiff(two.params, one.params)).toBeLessThanOrEqual(1e-5);
    expect(two.history[1].testAccuracy).toBe(one.history[1].testAccuracy);
    expect(maxAbsDiff(one.params, initParams(one.spec, 1))).toBeGreaterThan(5e-3);
    // 16 steps on 1000 samples: far above chance (0.1).
    expect(one.history[1].testAccuracy).toBeGreaterThan(0.6);
  });
});

describe("resuming an Adam run", () => {
  const options = (checkpointDir: string): TrainOptions => ({
    ...smallRun(dataset),
    workers: 2,
    epochs: 3,
    checkpointDir,
  });

  test("ends at the uninterrupted weights: the moments and the step count survive", async () => {
    const undisturbed = await trainWith(options(join(dir, "whole")), adam);
    const checkpointDir = join(dir, "resumed");
    await trainWith({ ...options(checkpointDir), epochs: 2 }, adam);
    const saved = JSON.parse(await readFile(join(checkpointDir, "checkpoint.json"), "utf8"));
    expect(saved.optimizerState).toEqual(["momentum", "velocity"]);
    const resumed = await trainWith({ ...options(checkpointDir), resume: true }, adam);
    expect(resumed.history).toHaveLength(3);
    expect(maxAbsDiff(resumed.params, undisturbed.params)).toBe(0);

    // The control: the same checkpoint with the step count reset resumes elsewhere (Adam's
    // bias correction restarts), so the equality above depends on the count.
    const json = join(checkpointDir, "checkpoint.json");
    await trainWith({ ...options(checkpointDir), epochs: 2 }, adam);
    await writeFile(
      json,
      JSON.stringify({ ...JSON.parse(await readFile(json, "utf8")), stepsDone: 0 }),
    );
    const restarted = await trainWith({ ...options(checkpointDir), resume: true }, adam);
    expect(maxAbsDiff(restarted.params, undisturbed.params)).toBeGreaterThan(1e-4);
  });
});

describe("Adam over the network", () => {
  test("a worker process computes what 2 local threads do: the coordinator's update counts steps too", async () => {
    const local = await trainWith({ ...smallRun(dataset), workers: 2 }, adam, sameGlobalBatches());
    let worker: WorkerProcess | undefined;
    try {
      const networked = await trainWith(
        { ...smallRun(dataset), remote: { expectWorkers: 1, token: TOKEN } },
        adam,
        sameGlobalBatches(),
        (event) => {
          if (event.type !== "listening") return;
          const args = ["--join", event.joinUrl, "--token", TOKEN, "--threads", "2"];
          worker = spawnWorker("bun", args);
        },
      );
      expect(maxAbsDiff(networked.params, local.params)).toBeLessThanOrEqual(1e-5);
      expect(networked.history[1].testAccuracy).toBe(local.history[1].testAccuracy);
    } finally {
      worker?.process.kill("SIGKILL");
    }
  }, 120_000);
});
