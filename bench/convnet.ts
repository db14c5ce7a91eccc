/**
 * `bun run bench -- --model convnet [--reps N] [--steps N] [--json]`: the convnet of Deep
 * Learning with Python ch. 5 (batch 64), side by side in one run:
 *
 * 1. tfjs's own `model.fit` on the wasm backend: it cannot train (no Conv2DBackpropFilter
 *    kernel, tfjs issue #8474); the row carries the error it throws.
 * 2. tfjs's `model.fit` on the cpu backend, time-boxed: samples/s from the batches it did.
 * 3. shardfit `train({ model: "convnet" })` with 1 and 2 workers: the second of two epochs of
 *    `steps` batches (the first warms the workers up), median of `reps` interleaved runs, with
 *    train()'s own step breakdown.
 * 4. PyTorch (bench/pytorch.ts) in each torch × BLAS thread setting, interleaved with the
 *    shardfit runs, when a python3 with torch is installed; its best setting is the reference.
 * 5. FLOPs per sample, the step's GFLOP/s per thread, and their share of a matMul reference
 *    (the convnet's largest product) timed on wasm in this run, under the same load.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { defaultMnistDir, loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import type { Dataset } from "../src/core/data/dataset.ts";
import { useWasmBackend } from "../src/tf/backend.ts";
import { FLOPS_PER_SAMPLE } from "./conv/step.ts";
import { kerasConvnet } from "./keras-convnet.ts";
import {
  bestSetting,
  blasName,
  findTorchPython,
  type PytorchMedian,
  type PytorchRow,
  pytorchMedians,
  pytorchSettings,
  settingName,
} from "./pytorch.ts";
import { runShardfit, type ShardfitRun } from "./shardfit.ts";
import { fmt, median, medianIndex, table } from "./stats.ts";

const BATCH = 64;
const CLASSES = 10;

export interface ConvnetBenchOptions {
  reps: number;
  steps: number;
  /** Seconds of timed tfjs-cpu batches (after one warm-up batch). */
  cpuSeconds: number;
  log: (message: string) => void;
}

interface FitRow {
  backend: "wasm" | "cpu";
  samplesPerSecond?: number;
  batches?: number;
  error?: string;
}

/** The ch. 5 convnet, compiled as shardfit trains it. */
function compiledKerasConvnet(): tf.Sequential {
  const model = kerasConvnet(CLASSES);
  model.compile({
    optimizer: tf.train.rmsprop(1e-3, 0.9, 0, 1e-7),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  return model;
}

/** Batch `b` of the training set as fit takes it: pixels/255 in NHWC, one-hot labels. */
function fitBatch(dataset: Dataset, b: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const px = 28 * 28;
  const start = (b * BATCH) % (dataset.train.count - BATCH);
  const x = Float32Array.from(
    dataset.train.images.subarray(start * px, (start + BATCH) * px),
    (v) => v / 255,
  );
  const y = new Float32Array(BATCH * CLASSES);
  for (let i = 0; i < BATCH; i++) y[i * CLASSES + dataset.train.labels[start + i]] = 1;
  return { x: tf.tensor4d(x, [BATCH, 28, 28, 1]), y: tf.tensor2d(y, [BATCH, CLASSES]) };
}

/** One warm-up batch, then batches until `seconds` have passed; wasm stops at its error. */
async function fitRow(dataset: Dataset, backend: "wasm" | "cpu", seconds: number): Promise<FitRow> {
  if (backend === "wasm") await useWasmBackend();
  else await tf.setBackend("cpu");
  const model = compiledKerasConvnet();
  const step = async (b: number) => {
    const { x, y } = fitBatch(dataset, b);
    try {
      tf.dispose(await model.trainOnBatch(x, y));
    } finally {
      tf.dispose([x, y]);
    }
  };
  try {
    await step(0);
    let batches = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) await step(++batches);
    const elapsed = (performance.now() - t0) / 1000;
    return { backend, batches, samplesPerSecond: (batches * BATCH) / elapsed };
  } catch (error) {
    return { backend, error: (error as Error).message };
  } finally {
    model.dispose();
  }
}

/** GFLOP/s of the convnet's largest product ([3872, 288]·[288, 64]) on wasm, median of 20. */
async function matMulReference(): Promise<number> {
  await useWasmBackend();
  const a = tf.randomNormal([3872, 288]) as tf.Tensor2D;
  const b = tf.randomNormal([288, 64]) as tf.Tensor2D;
  const once = () => {
    const t0 = performance.now();
    const product = tf.matMul(a, b);
    product.dataSync();
    product.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) once();
  const ms = median(Array.from({ length: 20 }, once));
  tf.dispose([a, b]);
  return (2 * 3872 * 288 * 64) / ms / 1e6;
}

export async function convnetBench(dataset: Dataset, options: ConvnetBenchOptions) {
  const { log, reps, steps } = options;
  log("tfjs-wasm model.fit (expected to fail)");
  const wasmFit = await fitRow(dataset, "wasm", 5);
  log(`tfjs-cpu model.fit, ${options.cpuSeconds} s time box`);
  const cpuFit = await fitRow(dataset, "cpu", options.cpuSeconds);
  await useWasmBackend();
  const runs = new Map<number, ShardfitRun[]>([
    [1, []],
    [2, []],
  ]);
  const python = await findTorchPython();
  const torchRuns: PytorchRow[] = [];
  const torchArgs = ["--data", defaultMnistDir(), "--steps", String(5 * steps)];
  for (let r = 0; r < reps; r++) {
    for (const w of r % 2 === 0 ? [1, 2] : [2, 1]) {
      log(`shardfit convnet, ${w} worker(s), repetition ${r + 1}/${reps}`);
      runs
        .get(w)
        ?.push(await runShardfit(dataset, w, { steps, batchSize: BATCH, model: "convnet" }));
    }
    log(`PyTorch convnet, every thread setting, repetition ${r + 1}/${reps}`);
    torchRuns.push(...(await pytorchSettings(python, "convnet.py", torchArgs, r)));
  }
  const peakGflops = await matMulReference();
  const medianRun = (w: number) => {
    const all = runs.get(w) ?? [];
    return all[medianIndex(all.map((run) => run.samplesPerSecond))];
  };
  return {
    wasmFit,
    cpuFit,
    one: medianRun(1),
    two: medianRun(2),
    pytorch: pytorchMedians(torchRuns),
    peakGflops,
    reps,
    steps,
  };
}

export type ConvnetBench = Awaited<ReturnType<typeof convnetBench>>;

/** The bench's tables, as printed. */
export function convnetReport(b: ConvnetBench): string {
  const base = b.cpuFit.samplesPerSecond;
  const vsCpu = (sps: number) => (base ? `${fmt(sps / base, 0)}×` : "n/a");
  const fitCell = (row: FitRow) =>
    row.error ? `cannot train: ${row.error}` : `${row.batches} timed batches`;
  const shardRow = (run: ShardfitRun) => [
    `shardfit, ${run.workers} worker${run.workers > 1 ? "s" : ""}`,
    fmt(run.samplesPerSecond, 0),
    vsCpu(run.samplesPerSecond),
    `5 epochs ≈ ${fmt(300_000 / run.samplesPerSecond, 0)} s`,
  ];
  const best = bestSetting(b.pytorch);
  const torchRow = (row: PytorchMedian) => {
    const name = `PyTorch, ${settingName(row.setting)} torch/BLAS threads`;
    if (!("samplesPerSecond" in row) || row.samplesPerSecond === undefined) {
      return [name, "—", "—", row.error ?? ""];
    }
    const sps = row.samplesPerSecond;
    return [
      `${name}${row === best ? " (best)" : ""}`,
      fmt(sps, 0),
      vsCpu(sps),
      `torch ${row.torch}; 5 epochs ≈ ${fmt(300_000 / sps, 0)} s`,
    ];
  };
  const throughput = table([
    ["run", "samples/s", "vs tfjs-cpu", ""],
    ["tfjs model.fit (wasm)", "—", "—", fitCell(b.wasmFit)],
    ["tfjs model.fit (cpu)", fmt(base ?? Number.NaN, 1), "1×", fitCell(b.cpuFit)],
    shardRow(b.one),
    shardRow(b.two),
    ...b.pytorch.map(torchRow),
  ]);
  const breakdown = table([
    ["workers", "compute", "grad barrier", "reduce+RMSprop", "update barrier", "step ms"],
    ...[b.one, b.two].map((run) => [
      String(run.workers),
      fmt(run.profile.compute, 2),
      fmt(run.profile.gradBarrier, 2),
      fmt(run.profile.update, 2),
      fmt(run.profile.updateBarrier, 2),
      fmt(run.profile.stepMs, 2),
    ]),
  ]);
  const perThread = (run: ShardfitRun) =>
    (FLOPS_PER_SAMPLE * run.samplesPerSecond) / run.workers / 1e9;
  const flops = [b.one, b.two]
    .map(
      (run) =>
        `${run.workers} worker(s): ${fmt(perThread(run), 2)} GFLOP/s per thread = ` +
        `${fmt((100 * perThread(run)) / b.peakGflops, 0)}% of the matMul reference`,
    )
    .join("\n");
  return [
    `Convnet (ch. 5, 93,322 parameters), batch ${BATCH}; shardfit: second of two epochs of ${b.steps} batches, median of ${b.reps}`,
    throughput,
    "",
    "shardfit step breakdown (ms per step, second epoch, averaged over workers)",
    breakdown,
    "",
    `training FLOPs per sample: ${fmt(FLOPS_PER_SAMPLE / 1e6, 1)} M; matMul reference [3872, 288]·[288, 64] on wasm: ${fmt(b.peakGflops, 2)} GFLOP/s`,
    flops,
    `shardfit 2 workers / PyTorch's best setting (${best ? settingName(best.setting) : "none"}): ` +
      `${fmt(vsPytorch(b) ?? Number.NaN, 2)}×; BLAS: ${blasName(best?.blas)}`,
  ].join("\n");
}

/** shardfit's 2 workers over PyTorch's best thread setting, when PyTorch ran. */
function vsPytorch(b: ConvnetBench): number | undefined {
  const best = bestSetting(b.pytorch);
  return best ? b.two.samplesPerSecond / best.samplesPerSecond : undefined;
}

/** The one-line JSON summary's fields. */
export function convnetSummary(b: ConvnetBench) {
  return {
    model: "convnet",
    batchSize: BATCH,
    wasmFit: b.wasmFit,
    cpuFit: b.cpuFit,
    samplesPerSecond: { "1": b.one.samplesPerSecond, "2": b.two.samplesPerSecond },
    stepMs: { "1": b.one.profile.stepMs, "2": b.two.profile.stepMs },
    flopsPerSample: FLOPS_PER_SAMPLE,
    matMulReferenceGflops: b.peakGflops,
    scaling: b.two.samplesPerSecond / b.one.samplesPerSecond,
    pytorch: b.pytorch,
    vsPytorch: vsPytorch(b),
  };
}

/** The `--model convnet` run of `bun run bench`: tables to stdout, results to bench/results/. */
export async function runConvnetBench(options: {
  reps: number;
  steps: number;
  json: boolean;
  log: (message: string) => void;
}): Promise<void> {
  const dataset = await loadIdxDataset();
  const bench = await convnetBench(dataset, { ...options, cpuSeconds: 30 });
  console.log(convnetReport(bench));
  const summary = { date: new Date().toISOString(), ...convnetSummary(bench) };
  const dir = join(import.meta.dir, "results");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `convnet-${summary.date.replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`);
  options.log(`results: ${file}`);
  if (options.json) console.log(JSON.stringify(summary));
}
