/**
 * `bun bench/rss-probe.ts [--workers 2] [--epochs 3] [--steps 200]`: trains in this process
 * only, sampling `process.memoryUsage().rss` every 50 ms (workers are threads, so RSS covers
 * them), and prints one JSON line: baseline and peak RSS, VmHWM, live tfjs tensors per epoch.
 * Run by bench/index.ts as a child so the benchmark's own tensors do not count.
 */
import { readFileSync } from "node:fs";
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { flagsOrExit, intFlag, parseFlags } from "../src/cli/args.ts";
import { train } from "../src/train/train.ts";

const USAGE = "Usage: bun bench/rss-probe.ts [--workers N] [--epochs N] [--steps N]";
const { workers, epochs, steps } = flagsOrExit("rss-probe", USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), {
    workers: { type: "string", default: "2" },
    epochs: { type: "string", default: "3" },
    steps: { type: "string", default: "200" },
  });
  return {
    workers: intFlag("workers", flags.workers, 1, 64),
    epochs: intFlag("epochs", flags.epochs, 1, 100),
    steps: intFlag("steps", flags.steps, 1, 10_000),
  };
});

const MB = 1024 * 1024;
const dataset = await loadIdxDataset();
const baselineRss = process.memoryUsage().rss;
let peakRss = baselineRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const epochRss: number[] = [];
const result = await train({
  dataset,
  workers,
  epochs,
  trainLimit: steps * 128,
  testLimit: 1000,
  out: false,
  onProgress: (event) => {
    if (event.type === "epoch") epochRss.push(process.memoryUsage().rss / MB);
  },
});
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

let vmHwmMb = Number.NaN;
try {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  if (m) vmHwmMb = Number(m[1]) / 1024;
} catch {}

console.log(
  JSON.stringify({
    workers,
    epochs,
    steps,
    baselineRssMb: baselineRss / MB,
    peakRssMb: peakRss / MB,
    vmHwmMb,
    epochRssMb: epochRss,
    liveTensors: result.history.map((h) => h.liveTensors),
    samplesPerSecond: result.samplesPerSecond,
    /** Per epoch: the first includes the fresh workers' warm-up (JIT, XNNPACK setup). */
    epochSamplesPerSecond: result.history.map((h) => (steps * 128) / h.trainSeconds),
  }),
);
