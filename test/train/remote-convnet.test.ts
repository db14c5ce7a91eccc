import { afterEach, beforeAll, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { maxAbsDiff } from "../support/reference.ts";
import {
  coordinate,
  sameGlobalBatches,
  smallRun,
  spawnWorker,
  TOKEN,
  type WorkerProcess,
} from "../support/remote.ts";
import { smallConvnet } from "../support/small-convnet.ts";

const SMALL_CONVNET = smallConvnet(4);

let dataset: Dataset;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  dataset = await loadIdxDataset();
});
afterEach(() => {
  for (const w of workers.splice(0)) w.process.kill("SIGKILL");
});

test("a convnet trained by a joined worker process equals 2 local threads", async () => {
  const options = { ...smallRun(dataset), model: SMALL_CONVNET };
  const local = await trainWithHooks({ ...options, workers: 2 }, sameGlobalBatches());
  const result = await coordinate(
    { ...options, remote: { expectWorkers: 1, token: TOKEN } },
    sameGlobalBatches(),
    (url) => workers.push(spawnWorker("bun", ["--join", url, "--token", TOKEN, "--threads", "2"])),
  );
  expect(result.params.length).toBe(6810);
  expect(maxAbsDiff(result.params, local.params)).toBeLessThanOrEqual(1e-5);
  expect(result.history[1].testAccuracy).toBe(local.history[1].testAccuracy);
}, 120_000);
