/**
 * One shardfit training run of two epochs, timed like the fit baseline: after a warm-up. Each
 * `train()` call starts fresh workers (Bun realm, tfjs-wasm, JIT, XNNPACK set-up), so the
 * first epoch warms them up and the second is the measurement: throughput from
 * `history[1].trainSeconds`, the profile (train() describes the last epoch) and CPU accounting
 * over the second epoch only.
 */
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { ArrayDataset } from "../src/core/data/arrays.ts";
import type { Dataset } from "../src/core/data/dataset.ts";
import { train } from "../src/train/train.ts";
import type { StepProfile, TrainOptions } from "../src/train/types.ts";
import { type CpuWindow, cpuWindow } from "./cpu.ts";

export interface ShardfitRun {
  workers: number;
  /** Second (timed) epoch: trainLimit / history[1].trainSeconds. */
  samplesPerSecond: number;
  /** Wall time of the second epoch's training steps. */
  trainSeconds: number;
  msPerStep: number;
  /** First epoch, fresh workers warming up (not part of the timed figures). */
  firstEpochSamplesPerSecond: number;
  /** Per-step averages over the second epoch. */
  profile: StepProfile;
  /** CPU use from the first "epoch" event to the second (the second epoch + its evaluation). */
  cpu?: CpuWindow;
  liveTensors: number[][];
  testAccuracy: number;
  params: Float32Array;
  /** With `dashboardClient`: dashboard events the SSE client (a curl process) received. */
  dashboardEvents?: number;
}

/**
 * With `dashboardClient`, the run serves its dashboard and a separate `curl -N` process reads
 * `GET /events` from the start (so the reading costs this process nothing, as a browser's
 * would): the cost measured is the run's side of an open dashboard.
 */
export async function runShardfit(
  /** Images (MNIST), or arrays (`train({ data })`). */
  dataset: Dataset | ArrayDataset,
  workers: number,
  options: {
    steps: number;
    batchSize: number;
    dashboardClient?: boolean;
    model?: TrainOptions["model"];
    optimizer?: TrainOptions["optimizer"];
  },
): Promise<ShardfitRun> {
  let stop: (() => CpuWindow) | undefined;
  let cpu: CpuWindow | undefined;
  const samples = options.steps * options.batchSize;
  const client = options.dashboardClient ? new SseClient() : undefined;
  const result = await train({
    ...("x" in dataset.train ? { data: dataset as ArrayDataset } : { dataset: dataset as Dataset }),
    workers,
    model: options.model,
    optimizer: options.optimizer,
    epochs: 2,
    batchSize: options.batchSize,
    trainLimit: samples,
    testLimit: 1000,
    out: false,
    profile: true,
    dashboard: client !== undefined,
    onProgress: (event) => {
      if (event.type === "dashboard") client?.connect(event.url.replace(/dashboard$/, "events"));
      if (event.type !== "epoch") return;
      if (event.metrics.epoch === 1) stop = cpuWindow();
      else if (event.metrics.epoch === 2 && stop) cpu = stop();
    },
  }).finally(() => client?.stop());
  if (!result.profile) throw new Error("train() returned no profile");
  if (result.history.length !== 2) throw new Error("train() ran fewer than 2 epochs");
  const [first, second] = result.history;
  return {
    workers,
    samplesPerSecond: samples / second.trainSeconds,
    trainSeconds: second.trainSeconds,
    msPerStep: (1000 * second.trainSeconds) / options.steps,
    firstEpochSamplesPerSecond: samples / first.trainSeconds,
    profile: result.profile,
    cpu,
    liveTensors: result.history.map((h) => h.liveTensors),
    testAccuracy: second.testAccuracy,
    params: result.params,
    dashboardEvents: await client?.events(),
  };
}

/** An SSE reader in another process: `curl -N` writing the stream to a temp file. */
class SseClient {
  private readonly file = join(tmpdir(), `shardfit-bench-sse-${process.pid}-${Date.now()}.txt`);
  private curl?: Subprocess;

  connect(url: string): void {
    this.curl = Bun.spawn(["curl", "-sN", "--max-time", "600", "-o", this.file, url], {
      stdout: "ignore",
      stderr: "ignore",
    });
  }

  stop(): void {
    this.curl?.kill();
  }

  /** Messages received (each carries one event). */
  async events(): Promise<number> {
    const text = await readFile(this.file, "utf8").catch(() => "");
    await rm(this.file, { force: true });
    return text.split("\n").filter((line) => line.startsWith("data: ")).length;
  }
}
