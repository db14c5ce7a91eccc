/** One timed shardfit training run, with CPU accounting over its epoch. */
import type { Dataset } from "../src/core/dataset.ts";
import { type StepProfile, train } from "../src/train/train.ts";
import { type CpuWindow, cpuWindow } from "./cpu.ts";

export interface ShardfitRun {
  workers: number;
  samplesPerSecond: number;
  trainSeconds: number;
  msPerStep: number;
  profile: StepProfile;
  /** CPU use from the "start" event (workers ready) to the end of the epoch. */
  cpu?: CpuWindow;
  liveTensors: number[][];
  testAccuracy: number;
  params: Float32Array;
}

export async function runShardfit(
  dataset: Dataset,
  workers: number,
  options: { steps: number; batchSize: number; epochs?: number },
): Promise<ShardfitRun> {
  let stop: (() => CpuWindow) | undefined;
  let cpu: CpuWindow | undefined;
  const result = await train({
    dataset,
    workers,
    epochs: options.epochs ?? 1,
    batchSize: options.batchSize,
    trainLimit: options.steps * options.batchSize,
    testLimit: 1000,
    out: false,
    profile: true,
    onProgress: (event) => {
      if (event.type === "start") stop = cpuWindow();
      else if (event.type === "epoch" && event.metrics.epoch === 1 && stop) cpu = stop();
    },
  });
  if (!result.profile) throw new Error("train() returned no profile");
  return {
    workers,
    samplesPerSecond: result.samplesPerSecond,
    trainSeconds: result.trainSeconds,
    msPerStep: (1000 * result.trainSeconds) / (options.steps * result.epochs),
    profile: result.profile,
    cpu,
    liveTensors: result.history.map((h) => h.liveTensors),
    testAccuracy: result.history[result.history.length - 1].testAccuracy,
    params: result.params,
  };
}
