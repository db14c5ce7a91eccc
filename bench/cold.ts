/**
 * What a user waits for, fresh workers included: one full epoch of a fresh `train()` call
 * (worker start, shard load and warm-up, then the epoch's steps), and a whole default run
 * (5 epochs of the full data set, evaluation, checkpoints, saving the model).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dataset } from "../src/core/data/dataset.ts";
import { train } from "../src/train/train.ts";

export interface ColdEpoch {
  /** From the call to the end of the first epoch's steps. */
  seconds: number;
  /** From the call to the "start" event: workers started, shards loaded, warmed up. */
  startSeconds: number;
  samples: number;
}

export async function coldEpoch(dataset: Dataset, workers: number): Promise<ColdEpoch> {
  const t0 = performance.now();
  let started = 0;
  const result = await train({
    dataset,
    workers,
    epochs: 1,
    out: false,
    onProgress: (event) => {
      if (event.type === "start") started = performance.now();
    },
  });
  const startSeconds = (started - t0) / 1000;
  return {
    seconds: startSeconds + result.history[0].trainSeconds,
    startSeconds,
    samples: dataset.train.count,
  };
}

export interface WholeRun {
  seconds: number;
  epochs: number;
  samples: number;
  testAccuracy: number;
}

/** `train()` with its defaults (MNIST from disk, 5 epochs), saving into a temporary directory. */
export async function wholeRun(workers: number): Promise<WholeRun> {
  const dir = await mkdtemp(join(tmpdir(), "shardfit-bench-run-"));
  try {
    const t0 = performance.now();
    const result = await train({ workers, out: join(dir, "model") });
    const seconds = (performance.now() - t0) / 1000;
    const last = result.history[result.history.length - 1];
    const samples = (result.samplesPerSecond * result.trainSeconds) / result.epochs;
    return { seconds, epochs: result.epochs, samples, testAccuracy: last.testAccuracy };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
