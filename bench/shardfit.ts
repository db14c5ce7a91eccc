/**
 * One shardfit training run, timed like the fit baseline: after a warm-up. Each `train()` call
 * starts fresh workers (Bun realm, tfjs-wasm, JIT, XNNPACK set-up), so the first epoch warms
 * them up and the next `timedEpochs` (default 1) are the measurement: throughput from their
 * `trainSeconds`, the profile (train() describes the last epoch) and CPU accounting over them
 * only.
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
  /** The timed epochs' samples / their trainSeconds. */
  samplesPerSecond: number;
  /** Wall time of the timed epochs' training steps. */
  trainSeconds: number;
  msPerStep: number;
  /** First epoch, fresh workers warming up (not part of the timed figures). */
  firstEpochSamplesPerSecond: number;
  /** Per-step averages over the last epoch. */
  profile: StepProfile;
  /** CPU use from the first "epoch" event to the last (the timed epochs + their evaluations). */
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
    /** Epochs timed after the warm-up one (default 1). */
    timedEpochs?: number;
  },
): Promise<ShardfitRun> {
  const timedEpochs = options.timedEpochs ?? 1;
  const epochs = 1 + timedEpochs;
  let stop: (() => CpuWindow) | undefined;
  let cpu: CpuWindow | undefined;
  const samples = options.steps * options.batchSize;
  const client = options.dashboardClient ? new SseClient() : undefined;
  const result = await train({
    ...("x" in dataset.train ? { data: dataset as ArrayDataset } : { dataset: dataset as Dataset }),
    workers,
    model: options.model,
    optimizer: options.optimizer,
    epochs,
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
      else if (event.metrics.epoch === epochs && stop) cpu = stop();
    },
  }).finally(() => client?.stop());
  if (!result.profile) throw new Error("train() returned no profile");
  if (result.history.length !== epochs) throw new Error(`train() ran fewer than ${epochs} epochs`);
  const [first, ...timed] = result.history;
  const trainSeconds = timed.reduce((sum, h) => sum + h.trainSeconds, 0);
  return {
    workers,
    samplesPerSecond: (samples * timedEpochs) / trainSeconds,
    trainSeconds,
    msPerStep: (1000 * trainSeconds) / (options.steps * timedEpochs),
    firstEpochSamplesPerSecond: samples / first.trainSeconds,
    profile: result.profile,
    cpu,
    liveTensors: result.history.map((h) => h.liveTensors),
    testAccuracy: timed[timed.length - 1].testAccuracy,
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
