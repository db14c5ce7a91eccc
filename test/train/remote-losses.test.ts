import { afterEach, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import type { TrainOptions } from "../../src/train/types.ts";
import { BATCH, SAMPLES } from "../support/global-batches.ts";
import { mnistArraysFor } from "../support/mnist-arrays.ts";
import { maxAbsDiff } from "../support/reference.ts";
import {
  coordinate,
  sameGlobalBatches,
  spawnWorker,
  TOKEN,
  type WorkerProcess,
} from "../support/remote.ts";

/**
 * A networked run trains with the coordinator's loss and measures its metrics: the welcome
 * carries the loss, the evaluate message the split and the metrics.
 */

const workers: WorkerProcess[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.process.kill("SIGKILL");
});

test("mse on arrays: a Deno worker process with 2 threads computes what 2 local threads compute", async () => {
  const dataset = await loadIdxDataset();
  const run: TrainOptions = {
    data: mnistArraysFor(dataset, "mse", SAMPLES, 300),
    loss: "mse",
    metrics: ["mae", "mse"],
    hidden: [32],
    epochs: 2,
    batchSize: BATCH,
    out: false,
  };
  const local = await trainWithHooks({ ...run, workers: 2 }, sameGlobalBatches());
  const result = await coordinate(
    { ...run, remote: { expectWorkers: 1, token: TOKEN } },
    sameGlobalBatches(),
    (url) => workers.push(spawnWorker("deno", ["--join", url, "--token", TOKEN, "--threads", "2"])),
  );
  expect(maxAbsDiff(result.params, local.params)).toBeLessThanOrEqual(1e-5);
  expect(Object.keys(result.kerasHistory)).toEqual(["loss", "mae", "mse"]);
  for (const key of ["mae", "mse"]) {
    expect(result.kerasHistory[key][1]).toBeCloseTo(local.kerasHistory[key][1], 5);
    expect(result.history[1].test?.[key]).toBeCloseTo(local.history[1].test?.[key] ?? NaN, 5);
  }
  // The mse metric on the test data is the loss there.
  expect(result.history[1].test?.mse).toBeCloseTo(result.history[1].testLoss, 6);
}, 120_000);
