/**
 * `bun run bench [-- --reps 5 --steps 200 --json]`: shardfit against tfjs's own `model.fit`,
 * side by side in one run, on the same real MNIST samples and model.
 *
 * 1. Throughput: `model.fit` (wasm backend, main thread) and shardfit `train()` with 1, 2 …
 *    navigator.hardwareConcurrency workers, each over `steps` batches of 128, after a warm-up:
 *    fit after 4 `trainOnBatch` calls, shardfit in the second of two epochs per run (each run
 *    starts fresh workers; the first epoch warms them up). Median of `reps` repetitions,
 *    interleaved (order rotated every repetition) so a noisy neighbour hurts every
 *    configuration alike.
 * 2. Where a shardfit step goes (train()'s own per-phase profile of the second epoch) and CPU
 *    accounting from /proc over the same epoch.
 * 3. Kernel GFLOP/s of the step's matMuls, to see how close the step is to the matMul peak.
 * 4. Predict latency of the plain-TS forward pass, batch 1 and 64.
 * 5. Peak RSS of a 2-worker run and live tfjs tensors per epoch (child process).
 * 1b. PyTorch (bench/pytorch.ts) on the same MLP and samples, each torch × BLAS thread
 *    setting in the same interleaved rotation; the best setting is the reference.
 * 1c. A multi-hot model (bench/multi-hot.ts: 10,000 inputs at 1.5%, batch 512): shardfit 2
 *    workers against PyTorch dense, every thread setting, interleaved, the same number of
 *    timed steps on each side.
 * 6. What an open dashboard costs: 2 workers with the dashboard served and an SSE client (a
 *    curl process) reading `GET /events`, interleaved with the runs above (same reps): samples/s
 *    and the main thread's busy share beside the 2-worker runs without it.
 *
 * Prints tables to stdout (progress to stderr), writes bench/results/<date>.json; with
 * --json the last stdout line is a one-line JSON summary.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { defaultMnistDir, loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { flagsOrExit, intFlag, parseFlags } from "../src/cli/args.ts";
import { DEFAULT_SPEC } from "../src/core/model/presets.ts";
import { inputSizeOf, modelLayout } from "../src/core/model/sequential.ts";
import { coldEpoch, wholeRun } from "./cold.ts";
import { runConvnetBench } from "./convnet.ts";
import { type CpuWindow, cpuWindow } from "./cpu.ts";
import { prepareFitBaseline } from "./fit-baseline.ts";
import { type KernelRow, kernelBench, stepFlops } from "./kernels.ts";
import { multiHotArrays, multiHotSet, multiHotSpec, writeMultiHot } from "./multi-hot.ts";
import { type ParallelProbe, parallelProbe, type StepHeadroom, stepHeadroom } from "./parallel.ts";
import { predictBench } from "./predict.ts";
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
import { fmt, median, medianIndex, pct, table } from "./stats.ts";
import { measureUpdateCosts, UPDATE_PARAMS } from "./update-cost.ts";

const USAGE = `Usage: bun bench/index.ts [--model mlp|convnet] [--reps N] [--steps N] [--json]

  --model M    mlp (default: fit vs shardfit, kernels, predict, memory, dashboard) or
               convnet (ch. 5: tfjs fit on wasm and cpu vs shardfit 1 and 2 workers, batch 64)
  --reps N     repetitions per configuration, median reported (default 5; convnet 3)
  --steps N    training steps per repetition (default 200 of batch 128; convnet 60 of 64)
  --json       end stdout with a one-line JSON summary
  -h, --help   show this help`;

const BATCH = 128;
const FIT_MAX_SECONDS_PER_REP = 30;

const { reps, steps, json, model } = flagsOrExit("bench", USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), {
    reps: { type: "string" },
    steps: { type: "string" },
    model: { type: "string", default: "mlp" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (flags.model !== "mlp" && flags.model !== "convnet") {
    throw new Error(`--model: expected mlp or convnet, got "${flags.model}"`);
  }
  const convnet = flags.model === "convnet";
  return {
    reps: intFlag("reps", flags.reps ?? (convnet ? "3" : "5"), 1, 20),
    steps: intFlag("steps", flags.steps ?? (convnet ? "60" : "200"), 10, 468),
    json: flags.json ?? false,
    model: flags.model,
  };
});

const log = (message: string) => console.error(`[bench ${elapsed()}] ${message}`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s`;

if (model === "convnet") {
  await runConvnetBench({ reps, steps, json, log });
  process.exit(0);
}

const cores = navigator.hardwareConcurrency ?? os.availableParallelism();
const workerCounts = Array.from({ length: Math.max(2, cores) }, (_, i) => i + 1);
const loadBefore = os.loadavg();

log("loading MNIST");
const dataset = await loadIdxDataset();

// --- 1. Throughput -----------------------------------------------------------------------
log("fit baseline: building tensors and warming up");
const fit = await prepareFitBaseline(dataset, {
  steps,
  batchSize: BATCH,
  maxSecondsPerRep: FIT_MAX_SECONDS_PER_REP,
});
if (fit.note) log(fit.note);

log("parallel matMul probe (before the throughput runs)");
const probes: { when: string; rows: ParallelProbe[] }[] = [
  { when: "before", rows: await parallelProbe(workerCounts) },
];
log("step headroom: the worker's step, 1 thread × 128 rows vs 2 threads × 64 (before)");
const headrooms: { when: string; probe: StepHeadroom }[] = [
  { when: "before", probe: await stepHeadroom(2, BATCH) },
];

type FitRun = { samplesPerSecond: number; msPerStep: number; cpu: CpuWindow };
const stopThroughputCpu = cpuWindow();
const fitRuns: FitRun[] = [];
const shardRuns = new Map<number, ShardfitRun[]>(workerCounts.map((w) => [w, []]));
/** 2 workers with the dashboard open (an SSE client connected to /events). */
const dashboardRuns: ShardfitRun[] = [];
const python = await findTorchPython();
const torchRuns: PytorchRow[] = [];
const torchArgs = ["--data", defaultMnistDir(), "--steps", String(steps), "--batch", String(BATCH)];
/** 2 workers training with Adam instead of RMSprop (the update keeps two moments, not one). */
const adamRuns: ShardfitRun[] = [];
const configs: ("fit" | "dashboard" | "torch" | "adam" | number)[] = [
  "fit",
  ...workerCounts,
  "adam",
  "dashboard",
  "torch",
];
for (let r = 0; r < reps; r++) {
  const order = configs.map((_, i) => configs[(i + r) % configs.length]);
  for (const config of order) {
    if (config === "torch") {
      const rows = await pytorchSettings(python, "mlp.py", torchArgs, r);
      torchRuns.push(...rows);
      log(
        `rep ${r + 1}/${reps} PyTorch MLP (torch/BLAS threads): ${rows.map(torchCell).join(", ")}`,
      );
    } else if (config === "fit") {
      const done = cpuWindow();
      const run = await fit.rep();
      fitRuns.push({ ...run, cpu: done() });
      log(`rep ${r + 1}/${reps} fit: ${fmt(run.samplesPerSecond, 0)} samples/s`);
    } else if (config === "adam") {
      const run = await runShardfit(dataset, 2, { steps, batchSize: BATCH, optimizer: "adam" });
      adamRuns.push(run);
      log(
        `rep ${r + 1}/${reps} shardfit 2w adam: epoch 2 ${fmt(run.samplesPerSecond, 0)} samples/s`,
      );
    } else if (config === "dashboard") {
      const run = await runShardfit(dataset, 2, { steps, batchSize: BATCH, dashboardClient: true });
      dashboardRuns.push(run);
      log(
        `rep ${r + 1}/${reps} shardfit 2w + dashboard client: epoch 2 ` +
          `${fmt(run.samplesPerSecond, 0)} samples/s, main thread CPU ` +
          `${run.cpu ? pct(run.cpu.mainThreadShare, 1) : "n/a"}, ${run.dashboardEvents} events read`,
      );
    } else {
      const run = await runShardfit(dataset, config, { steps, batchSize: BATCH });
      shardRuns.get(config)!.push(run);
      log(
        `rep ${r + 1}/${reps} shardfit ${config}w: epoch 2 ${fmt(run.samplesPerSecond, 0)} ` +
          `samples/s, step ${fmt(run.profile.stepMs, 2)} ms (epoch 1 ` +
          `${fmt(run.firstEpochSamplesPerSecond, 0)} samples/s)`,
      );
    }
  }
}
fit.dispose();
const throughputCpu = stopThroughputCpu();
log("parallel matMul probe (after the throughput runs)");
probes.push({ when: "after", rows: await parallelProbe(workerCounts) });
log("step headroom (after)");
headrooms.push({ when: "after", probe: await stepHeadroom(2, BATCH) });

const fitSps = median(fitRuns.map((r) => r.samplesPerSecond));
const sps = new Map(
  workerCounts.map((w) => [w, median(shardRuns.get(w)!.map((r) => r.samplesPerSecond))]),
);
const firstEpochSps = new Map(
  workerCounts.map((w) => [w, median(shardRuns.get(w)!.map((r) => r.firstEpochSamplesPerSecond))]),
);
/** The repetition closest to the median, whose profile represents the configuration. */
const medianRun = (w: number) => {
  const runs = shardRuns.get(w)!;
  return runs[medianIndex(runs.map((r) => r.samplesPerSecond))];
};
const fitMedianRun = fitRuns[medianIndex(fitRuns.map((r) => r.samplesPerSecond))];

const adamSps = median(adamRuns.map((r) => r.samplesPerSecond));
const adamVsRmsprop = adamSps / sps.get(2)!;
log("optimizer update cost (reduce + update of a slice, ns per parameter)");
const updateCosts = measureUpdateCosts(Math.max(10, reps * 4));
/** ns per parameter of each optimizer's SIMD update as a 2-worker step runs it: 2 rows, half. */
const updateNs = Object.fromEntries(
  updateCosts
    .filter((c) => c.rows === 2 && c.elements === UPDATE_PARAMS / 2)
    .map((c) => [c.optimizer, c.simdNs]),
);

const torchMlp = pytorchMedians(torchRuns);
const torchBest = bestSetting(torchMlp);
const vsTorch = torchBest ? sps.get(2)! / torchBest.samplesPerSecond : Number.NaN;

// --- 1c. Multi-hot ------------------------------------------------------------------------
const MULTI_HOT_BATCH = 512;
// IMDB's size: 25,000 reviews are 49 steps of 512. Both sides time 3 epochs' worth of steps
// (a 49-step epoch lasts ~0.1 s: one pause of the shared machine moved a rep by 10%).
const multiHotSteps = 49;
const multiHotTimedEpochs = 3;
log("multi-hot: shardfit 2 workers vs PyTorch dense, every thread setting, interleaved");
const multiHotSets = {
  train: multiHotSet(MULTI_HOT_BATCH * multiHotSteps, 1),
  test: multiHotSet(1000, 2),
};
const multiHotFile = join(os.tmpdir(), `shardfit-bench-multi-hot-${process.pid}.bin`);
await writeMultiHot(multiHotSets.train, multiHotFile);
const multiHot = {
  train: multiHotArrays(multiHotSets.train),
  test: multiHotArrays(multiHotSets.test),
};
const multiHotRuns: ShardfitRun[] = [];
const multiHotTorchRuns: PytorchRow[] = [];
const multiHotArgs = [
  ...["--data", multiHotFile],
  ...["--steps", String(multiHotTimedEpochs * multiHotSteps)],
];
for (let r = 0; r < reps; r++) {
  for (const side of r % 2 ? ["torch", "shardfit"] : ["shardfit", "torch"]) {
    if (side === "shardfit") {
      const run = await runShardfit(multiHot, 2, {
        steps: multiHotSteps,
        batchSize: MULTI_HOT_BATCH,
        model: multiHotSpec(),
        timedEpochs: multiHotTimedEpochs,
      });
      multiHotRuns.push(run);
      log(`rep ${r + 1}/${reps} multi-hot shardfit 2w: ${fmt(run.samplesPerSecond, 0)} samples/s`);
    } else {
      const rows = await pytorchSettings(python, "multihot.py", multiHotArgs, r);
      multiHotTorchRuns.push(...rows);
      log(`rep ${r + 1}/${reps} multi-hot PyTorch: ${rows.map(torchCell).join(", ")}`);
    }
  }
}
await rm(multiHotFile, { force: true });
const multiHotSps = median(multiHotRuns.map((r) => r.samplesPerSecond));
const multiHotTorch = pytorchMedians(multiHotTorchRuns);
const multiHotBest = bestSetting(multiHotTorch);
const multiHotVsTorch = multiHotBest ? multiHotSps / multiHotBest.samplesPerSecond : Number.NaN;
const multiHotRun = multiHotRuns[medianIndex(multiHotRuns.map((r) => r.samplesPerSecond))];

// --- 2b. Cold start and a whole run ---------------------------------------------------------
log("cold epochs: fresh train() calls, one full epoch each");
const colds = [];
for (let r = 0; r < Math.min(reps, 3); r++) colds.push(await coldEpoch(dataset, 2));
const cold = colds[medianIndex(colds.map((c) => c.seconds))];
log("a whole default run (5 epochs of 60,000, evaluation, checkpoints, saving)");
const whole = await wholeRun(2);
const fitEpochSeconds = (samples: number) => samples / fitSps;
const coldSpeedup = fitEpochSeconds(cold.samples) / cold.seconds;
const runSpeedup = (whole.epochs * fitEpochSeconds(whole.samples)) / whole.seconds;

// --- 3. Kernels --------------------------------------------------------------------------
log("kernel GFLOP/s");
const perWorkerBatch = BATCH / 2;
const kernels = await kernelBench([perWorkerBatch, BATCH]);

// --- 4. Predict --------------------------------------------------------------------------
log("predict latency (plain-TS forward)");
const trained = medianRun(2).params;
const predict = await predictBench(
  { layout: modelLayout(DEFAULT_SPEC), params: trained },
  dataset.test,
  [
    { batch: 1, iterations: 2000 },
    { batch: 64, iterations: 200 },
  ],
);

// --- 5. Memory ---------------------------------------------------------------------------
log("peak RSS probe (child process, 2 workers, 3 epochs)");
const probe = Bun.spawn(
  [process.execPath, join(import.meta.dir, "rss-probe.ts"), "--workers", "2", "--epochs", "3"],
  { stdout: "pipe", stderr: "inherit", cwd: join(import.meta.dir, "..") },
);
const probeOut = await new Response(probe.stdout).text();
if ((await probe.exited) !== 0) throw new Error("bench/rss-probe.ts failed");
const memory = JSON.parse(probeOut.trim().split("\n").at(-1)!) as {
  baselineRssMb: number;
  peakRssMb: number;
  vmHwmMb: number;
  epochRssMb: number[];
  liveTensors: number[][];
  samplesPerSecond: number;
  epochSamplesPerSecond: number[];
};

// --- Report ------------------------------------------------------------------------------
const totalSeconds = (performance.now() - started) / 1000;
const loadAfter = os.loadavg();
const cpuModel = await readFile("/proc/cpuinfo", "utf8")
  .then((t) => /model name\s*:\s*(.+)/.exec(t)?.[1]?.trim() ?? "unknown")
  .catch(() => os.cpus()[0]?.model ?? "unknown");
const maxW = workerCounts.at(-1)!;
const speedup = (w: number) => sps.get(w)! / fitSps;
const scaling = sps.get(2)! / sps.get(1)!;
// Each repetition runs 1 and 2 workers minutes apart at most: their ratio shows how much of
// the median's scaling is the machine's drift between runs.
const scalingByRep = shardRuns
  .get(2)!
  .map((run, r) => run.samplesPerSecond / shardRuns.get(1)![r].samplesPerSecond);
const busy = (w: number) => median(shardRuns.get(w)!.map((r) => r.profile.mainThreadBusyFraction));

const out: string[] = [];
const say = (line = "") => out.push(line);
say(`shardfit benchmark — ${new Date().toISOString()}`);
say(
  `machine: ${cores} cores (navigator.hardwareConcurrency), ${cpuModel}, Bun ${Bun.version}, ` +
    `${os.platform()} ${os.arch()}`,
);
say(
  `load average 1/5/15 min: before ${loadBefore.map((v) => v.toFixed(2)).join(" ")}, ` +
    `after ${loadAfter.map((v) => v.toFixed(2)).join(" ")}; other processes used ` +
    `${fmt(throughputCpu.otherCores, 2)} cores on average during the throughput runs ` +
    `(shared machine: treat absolute numbers with care)`,
);
say(
  `workload: real MNIST, first ${fmt(steps * BATCH, 0)} training samples, ${steps} steps of ` +
    `batch ${BATCH}, Dense(512, relu) → Dense(10, softmax), RMSprop 1e-3; median of ${reps} ` +
    `interleaved repetitions`,
);
say(
  "timing: fit after a warm-up of 4 trainOnBatch calls; shardfit: second epoch of each run; " +
    "the first warms the workers up",
);
say();
say("Throughput (training steps only)");
const cpuCell = (c?: { processCores: number; otherCores: number }) =>
  c ? [fmt(c.processCores, 2), fmt(c.otherCores, 2)] : ["n/a", "n/a"];
const spread = (v: number[]) => `${fmt(Math.min(...v), 0)}–${fmt(Math.max(...v), 0)}`;
say(
  table([
    ["run", "samples/s", "range", "ms/step", "vs fit", "cores used", "others' cores"],
    [
      `tfjs model.fit (wasm, main thread${fit.steps !== steps ? `, ${fit.steps} steps` : ""})`,
      fmt(fitSps, 0),
      spread(fitRuns.map((r) => r.samplesPerSecond)),
      fmt(median(fitRuns.map((r) => r.msPerStep)), 2),
      "1.00×",
      ...cpuCell(fitMedianRun.cpu),
    ],
    ...workerCounts.map((w) => {
      const runs = shardRuns.get(w)!;
      return [
        `shardfit, ${w} worker${w > 1 ? "s" : ""}`,
        fmt(sps.get(w)!, 0),
        spread(runs.map((r) => r.samplesPerSecond)),
        fmt(median(runs.map((r) => r.msPerStep)), 2),
        `${fmt(speedup(w), 2)}×`,
        ...cpuCell(medianRun(w).cpu),
      ];
    }),
  ]),
);
say(
  `scaling 2 workers / 1 worker: ${fmt(scaling, 2)}× (ratio within each repetition: ` +
    `${scalingByRep.map((x) => `${fmt(x, 2)}×`).join(", ")})`,
);
say(
  '"cores used" = this process\'s CPU time / wall time during the run (for shardfit: the ' +
    'second epoch; all threads); "others\' cores" = the rest of the machine meanwhile ' +
    "(from /proc/stat).",
);
say(
  `first epoch of the same runs (fresh workers warming up; not in the table): ${workerCounts
    .map(
      (w) =>
        `${w} worker${w > 1 ? "s" : ""} ${fmt(firstEpochSps.get(w)!, 0)} samples/s ` +
        `(${fmt(firstEpochSps.get(w)! / fitSps, 2)}× fit)`,
    )
    .join(", ")}`,
);

say(
  `cold: one full epoch (${fmt(cold.samples, 0)} samples) of a fresh 2-worker train() call took ` +
    `${fmt(cold.seconds, 2)} s from the call (${fmt(cold.startSeconds, 2)} s of it start-up: ` +
    `workers, shards, warm-up; median of ${colds.length}) vs ${fmt(fitEpochSeconds(cold.samples), 1)} s ` +
    `for an epoch of fit (extrapolated): coldSpeedup ${fmt(coldSpeedup, 2)}×`,
);
say(
  `whole run: train() with its defaults (2 workers, ${whole.epochs} epochs, evaluation, ` +
    `checkpoints, saving) took ${fmt(whole.seconds, 2)} s (test accuracy ` +
    `${fmt(whole.testAccuracy, 4)}) vs ${fmt(whole.epochs * fitEpochSeconds(whole.samples), 1)} s ` +
    `for ${whole.epochs} epochs of fit (extrapolated): runSpeedup ${fmt(runSpeedup, 2)}×`,
);

say();
say(
  `PyTorch on the same MLP and samples (bench/pytorch/mlp.py, batch ${BATCH}, ${steps} timed ` +
    `steps after 20 warm-up), per torch/BLAS thread setting, median of ${reps} interleaved`,
);
say(torchTable(torchMlp, torchBest, sps.get(2)!));
say(
  `shardfit 2 workers / PyTorch's best (${torchBest ? settingName(torchBest.setting) : "none"}): ` +
    `${fmt(vsTorch, 2)}×; BLAS: ${blasName(torchBest?.blas)}` +
    `${torchBest?.unset.length ? `; unset in PyTorch's environment: ${torchBest.unset.join(", ")}` : ""}`,
);

say();
say(
  `Multi-hot: ${multiHotSets.train.count} samples of 10,000 inputs at 1.5%, Dense(16, relu) → ` +
    `Dense(16, relu) → Dense(1, sigmoid), binary cross-entropy, ` +
    `batch ${MULTI_HOT_BATCH}, RMSprop; shardfit 2 workers: ${multiHotTimedEpochs} epochs of ` +
    `${multiHotSteps} steps timed after a warm-up one; PyTorch dense float32 inputs, ` +
    `${multiHotTimedEpochs * multiHotSteps} timed steps after 20 warm-up; median of ${reps} interleaved`,
);
say(torchTable(multiHotTorch, multiHotBest, multiHotSps));
say(
  `shardfit 2 workers: ${fmt(multiHotSps, 0)} samples/s ` +
    `(${spread(multiHotRuns.map((r) => r.samplesPerSecond))}), step ` +
    `${fmt(multiHotRun.profile.stepMs, 2)} ms (compute ${fmt(multiHotRun.profile.compute, 2)}, ` +
    `barriers ${fmt(multiHotRun.profile.gradBarrier + multiHotRun.profile.updateBarrier, 2)}, ` +
    `reduce+RMSprop ${fmt(multiHotRun.profile.update, 2)}), test accuracy ` +
    `${fmt(multiHotRun.testAccuracy, 3)}; / PyTorch's best: ${fmt(multiHotVsTorch, 2)}×`,
);

say();
say(
  "shardfit step breakdown (ms per step of the second epoch, averaged over workers; the median " +
    "repetition)",
);
say(
  table([
    [
      "workers",
      "upload",
      "fwd+bwd",
      "download",
      "compute",
      "grad barrier",
      "reduce+RMSprop",
      "update barrier",
      "step",
      "waiting",
      "active cols",
      "main busy",
      "main CPU",
    ],
    ...workerCounts.map((w) => {
      const run = medianRun(w);
      const p = run.profile;
      return [
        String(w),
        fmt(p.upload, 2),
        fmt(p.compute - p.upload - p.download, 2),
        fmt(p.download, 2),
        fmt(p.compute, 2),
        fmt(p.gradBarrier, 2),
        fmt(p.update, 2),
        fmt(p.updateBarrier, 2),
        fmt(p.stepMs, 2),
        pct((p.gradBarrier + p.updateBarrier) / p.stepMs),
        pct(p.activeColumns / inputSizeOf(DEFAULT_SPEC), 0),
        pct(p.mainThreadBusyFraction, 2),
        run.cpu ? pct(run.cpu.mainThreadShare, 1) : "n/a",
      ];
    }),
  ]),
);
say(
  "compute = upload (params + batch into the kernels' memory) + forward/backward + download (gradients out); " +
    "waiting = both barriers; active cols = the first layer's input columns computed per step " +
    "(pixels with ink in the worker's batch, padded to a multiple of 16); main busy = train()'s " +
    "own count of main-thread work during the " +
    "second epoch; main CPU = the main thread's CPU time from /proc over that epoch (incl. " +
    "message handling, the epoch's evaluation and GC; 10 ms ticks).",
);

say();
const dashboard = dashboardCost();
say(
  `Dashboard open vs not (2 workers, second epoch, median of ${reps}; the client is a curl ` +
    "process reading GET /events from the run's start)",
);
say(
  table([
    ["run", "samples/s", "main busy", "main CPU", "events read"],
    ...(["closed", "open"] as const).map((k) => [
      k === "open" ? "dashboard open (1 SSE client)" : "no dashboard",
      fmt(dashboard.samplesPerSecond[k], 0),
      pct(dashboard.mainThreadBusyFraction[k], 2),
      pct(dashboard.mainThreadCpuShare[k], 1),
      k === "open" ? String(dashboard.eventsRead) : "–",
    ]),
  ]),
);
say(
  "main busy = train()'s own count (polling, events); main CPU = the main thread's CPU time " +
    "from /proc over the epoch (includes the SSE writes and HTTP, the evaluation and GC).",
);

say();
say("tfjs-wasm kernels in one thread (p50 per call; GFLOP/s = 2·m·k·n / time)");
const peak = Math.max(...kernels.filter((k) => !k.name.startsWith("full")).map((k) => k.gflops));
say(
  table([
    ["kernel", "shapes", "p50 ms", "GFLOP/s", "of peak"],
    ...kernels.map((k: KernelRow) => [
      k.name,
      k.shapes,
      fmt(k.p50Ms, 3),
      fmt(k.gflops, 1),
      pct(k.gflops / peak, 0),
    ]),
  ]),
);
const stepKernel = (b: number) => kernels.find((k) => k.batch === b && k.name.startsWith("full"))!;
for (const w of [1, 2]) {
  const b = BATCH / w;
  const p = medianRun(w).profile;
  say(
    `${w} worker${w > 1 ? "s" : " "} (batch ${b}/worker): ${fmt(stepFlops(b) / 1e6, 0)} MFLOP ` +
      `per worker-step → ${fmt(stepFlops(b) / (peak * 1e6), 2)} ms at the matMul peak; compute ` +
      `${fmt(stepKernel(b).p50Ms, 2)} ms alone in this thread, ${fmt(p.compute, 2)} ms in the ` +
      `workers during the run (${pct(stepFlops(b) / (p.compute * 1e6) / peak, 0)} of peak)`,
  );
}
say(`fit's backward uses the transposeA matMul path (row "autodiff" above); shardfit avoids it.`);
say();
say(
  "Parallel headroom: the 64×784 · 784×512 matMul looped in N independent threads " +
    "(nothing shared), before and after the throughput runs",
);
say(
  table([
    ["when", "threads", "ms/call per thread", "aggregate vs 1 thread", "others' cores"],
    ...probes.flatMap(({ when, rows }) =>
      rows.map((p) => [
        when,
        String(p.threads),
        p.msPerCall.map((v) => fmt(v, 2)).join(" / "),
        `${fmt(p.scaling, 2)}×`,
        fmt(p.cpu.otherCores, 2),
      ]),
    ),
  ]),
);

say();
say(
  `Step headroom: the worker's own step (MLP, real batches) in 1 thread × ${BATCH} rows, then ` +
    `2 threads × ${BATCH / 2} rows at once, nothing shared, no barrier`,
);
say(
  table([
    [
      "when",
      "1 thread ms/step",
      "2 threads ms/step",
      "together vs alone",
      "in lockstep",
      "others' cores",
    ],
    ...headrooms.map(({ when, probe }) => [
      when,
      fmt(probe.aloneMs, 2),
      probe.togetherMs.map((v) => fmt(v, 2)).join(" / "),
      `${fmt(probe.ceiling, 2)}×`,
      `${fmt(probe.lockstepCeiling, 2)}×`,
      fmt(probe.cpu.otherCores, 2),
    ]),
  ]),
);
say(
  '"in lockstep" = 1-thread ms / the slower thread\'s ms: what synchronous training could ' +
    "reach with 2 workers before any reduce, update or barrier cost.",
);

say();
say("Predict: plain-TS forward (src/core/model/forward.ts), real test images, trained weights");
say(
  table([
    ["batch", "iterations", "p50 ms", "p99 ms", "images/s (p50)"],
    ...predict.map((p) => [
      String(p.batch),
      String(p.iterations),
      fmt(p.p50Ms, 3),
      fmt(p.p99Ms, 3),
      fmt(p.imagesPerSecond, 0),
    ]),
  ]),
);

say();
say(`Memory: 2-worker run, 3 epochs of ${steps} steps, separate process`);
say(
  `RSS before training ${fmt(memory.baselineRssMb, 0)} MB, peak (50 ms samples) ` +
    `${fmt(memory.peakRssMb, 0)} MB, VmHWM ${fmt(memory.vmHwmMb, 0)} MB; RSS after each ` +
    `epoch ${memory.epochRssMb.map((v) => fmt(v, 0)).join(" / ")} MB`,
);
say(
  `live tfjs tensors per worker after each epoch: ${memory.liveTensors
    .map((e, i) => `epoch ${i + 1}: [${e.join(", ")}]`)
    .join("; ")}`,
);

say(
  `throughput per epoch in that run (fresh workers warm up during epoch 1): ${memory.epochSamplesPerSecond
    .map((v, i) => `epoch ${i + 1}: ${fmt(v, 0)} samples/s (${fmt(v / fitSps, 2)}× fit)`)
    .join("; ")}`,
);

say();
say("Optimizer update, SIMD kernel: ns per parameter (2 gradient rows, a 2-worker slice)");
say(
  table([
    ["optimizer", "ns/param", "TS loop"],
    ...updateCosts
      .filter((c) => c.rows === 2 && c.elements === UPDATE_PARAMS / 2)
      .map((c) => [c.optimizer, fmt(c.simdNs, 2), fmt(c.jsNs, 2)]),
  ]),
);
say();
say("Targets (shardfit: second epoch, warm workers, unless said otherwise)");
const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
say(
  `- 2 workers with adam within 5% of rmsprop: ${fmt(adamVsRmsprop, 3)} ` +
    `(${verdict(adamVsRmsprop >= 0.95)}; ${fmt(adamSps, 0)} samples/s)`,
);
say(
  `- 2 workers ≥ 15× fit (goal 18×): ${fmt(speedup(2), 2)}× (${verdict(speedup(2) >= 15)}); ` +
    `1 worker alone: ${fmt(speedup(1), 2)}×`,
);
say(
  `- 2 workers ≥ 1.2× PyTorch's best thread setting (MLP): ${fmt(vsTorch, 2)}× ` +
    `(${verdict(vsTorch >= 1.2)})`,
);
say(
  `- multi-hot, 2 workers ≥ 3× PyTorch's best: ${fmt(multiHotVsTorch, 2)}× ` +
    `(${verdict(multiHotVsTorch >= 3)})`,
);
say(`- cold epoch ≥ 12× fit: ${fmt(coldSpeedup, 2)}× (${verdict(coldSpeedup >= 12)})`);
const lockstep = headrooms.map(({ when, probe }) => `${fmt(probe.lockstepCeiling, 2)}× ${when}`);
say(
  `- 2 workers ≥ 1.8× 1 worker: ${fmt(scaling, 2)}× (${verdict(scaling >= 1.8)}); the step ` +
    `alone in 2 threads in lockstep, nothing shared: ${lockstep.join(", ")} the runs`,
);
say(
  `- main thread busy < 5% of step time (${maxW} workers, median of ${reps}): ` +
    `${pct(busy(maxW), 2)} (${verdict(busy(maxW) < 0.05)})`,
);
say(
  `- main thread < 5% busy with the dashboard open (2 workers, /proc CPU share): ` +
    `${pct(dashboard.mainThreadCpuShare.open, 1)} ` +
    `(${verdict(dashboard.mainThreadCpuShare.open < 0.05)})`,
);
const p1 = medianRun(1).profile;
const p2 = medianRun(2).profile;
const c2 = medianRun(2).cpu;
const kernel = (b: number, prefix: string) =>
  kernels.find((k) => k.batch === b && k.name.startsWith(prefix))!.p50Ms;
if (scaling < 1.8) {
  const alone1 = kernel(BATCH, "full step");
  const alone2 = kernel(perWorkerBatch, "full step");
  const contention = p2.compute - alone2;
  say(
    `  why: a 2-worker step is ${fmt(p2.stepMs, 2)} ms, not ${fmt(p1.stepMs / 2, 2)}: per-worker ` +
      `compute went ${fmt(p1.compute, 2)} → ${fmt(p2.compute, 2)} ms for half the batch (ideal ` +
      `${fmt(p1.compute / 2, 2)}); alone in one thread the step compute goes ` +
      `${fmt(alone1, 2)} → ${fmt(alone2, 2)} ms (kernel table)` +
      (contention > 0
        ? `, so in the run each worker's compute took ${fmt(contention, 2)} ms more per step ` +
          "than the same step alone"
        : "") +
      `; per-step costs that do not shrink with the batch: gradient download ` +
      `${fmt(p2.download, 2)} ms, upload ${fmt(p2.upload, 2)} ms; barrier waits ` +
      `${fmt(p2.gradBarrier + p2.updateBarrier, 2)} ms and reduce+RMSprop ${fmt(p2.update, 2)} ms ` +
      `(${fmt(p1.update, 2)} ms with 1 worker)` +
      (c2
        ? `; the epoch got ${fmt(c2.processCores, 2)} of ${cores} cores, other processes used ` +
          `${fmt(c2.otherCores, 2)}`
        : ""),
  );
}
if (speedup(2) < 15) {
  const fitMs = median(fitRuns.map((r) => r.msPerStep));
  say(
    `  why: fit takes ${fmt(fitMs, 1)} ms/step, so 15× needs a ${fmt(fitMs / 15, 2)} ms step; ` +
      `shardfit's 2-worker step is ${fmt(p2.stepMs, 2)} ms: compute ${fmt(p2.compute, 2)} ` +
      `(incl. upload ${fmt(p2.upload, 2)}, download ${fmt(p2.download, 2)}), barrier waits ` +
      `${fmt(p2.gradBarrier + p2.updateBarrier, 2)}, reduce+RMSprop ${fmt(p2.update, 2)}; in the ` +
      `3-epoch memory run the epochs after the first reached ${memory.epochSamplesPerSecond
        .slice(1)
        .map((v) => `${fmt(v / fitSps, 2)}×`)
        .join(", ")} fit`,
  );
}
say();
say(`total bench time ${fmt(totalSeconds, 0)} s`);

console.log(out.join("\n"));

const summary = {
  fitSamplesPerSecond: Math.round(fitSps),
  samplesPerSecond: Object.fromEntries(
    workerCounts.map((w) => [String(w), Math.round(sps.get(w)!)]),
  ),
  speedup: Object.fromEntries(workerCounts.map((w) => [String(w), round(speedup(w), 2)])),
  adamSamplesPerSecond: round(adamSps, 0),
  /** 2 workers with Adam over 2 workers with RMSprop (the goal: within 5%). */
  adamVsRmsprop: round(adamVsRmsprop, 3),
  updateNsPerParam: Object.fromEntries(
    Object.entries(updateNs).map(([name, ns]) => [name, round(ns, 2)]),
  ),
  mainThreadBusyFraction: round(busy(maxW), 4),
  coldSpeedup: round(coldSpeedup, 2),
  runSpeedup: round(runSpeedup, 2),
  dashboard: {
    samplesPerSecond: {
      closed: Math.round(dashboard.samplesPerSecond.closed),
      open: Math.round(dashboard.samplesPerSecond.open),
    },
    mainThreadBusyFraction: {
      closed: round(dashboard.mainThreadBusyFraction.closed, 4),
      open: round(dashboard.mainThreadBusyFraction.open, 4),
    },
    mainThreadCpuShare: {
      closed: round(dashboard.mainThreadCpuShare.closed, 4),
      open: round(dashboard.mainThreadCpuShare.open, 4),
    },
    eventsRead: dashboard.eventsRead,
  },
  stepHeadroomLockstep: headrooms.map(({ probe }) => round(probe.lockstepCeiling, 3)),
  pytorch: {
    best: torchBest
      ? {
          setting: settingName(torchBest.setting),
          samplesPerSecond: Math.round(torchBest.samplesPerSecond),
        }
      : null,
    settings: Object.fromEntries(torchMlp.map((m) => [settingName(m.setting), summaryCell(m)])),
    blas: blasName(torchBest?.blas),
    unset: torchBest?.unset ?? [],
  },
  vsPytorch: round(vsTorch, 2),
  multiHot: {
    shardfit2: Math.round(multiHotSps),
    pytorchBest: multiHotBest
      ? {
          setting: settingName(multiHotBest.setting),
          samplesPerSecond: Math.round(multiHotBest.samplesPerSecond),
        }
      : null,
    pytorchSettings: Object.fromEntries(
      multiHotTorch.map((m) => [settingName(m.setting), summaryCell(m)]),
    ),
    vsPytorch: round(multiHotVsTorch, 2),
    testAccuracy: multiHotRun.testAccuracy,
  },
  activeColumnFraction: Object.fromEntries(
    workerCounts.map((w) => [
      String(w),
      round(medianRun(w).profile.activeColumns / inputSizeOf(DEFAULT_SPEC), 3),
    ]),
  ),
};
const report = {
  date: new Date().toISOString(),
  machine: { cores, cpuModel, bun: Bun.version, platform: `${os.platform()} ${os.arch()}` },
  loadAverage: { before: loadBefore, after: loadAfter },
  config: { reps, steps, batchSize: BATCH, fitSteps: fit.steps, fitNote: fit.note ?? null },
  summary,
  scaling2over1: scaling,
  scalingByRep,
  fit: fitRuns,
  shardfit: Object.fromEntries(
    workerCounts.map((w) => [
      String(w),
      shardRuns.get(w)!.map(({ params: _params, ...run }) => run),
    ]),
  ),
  pytorch: torchRuns,
  multiHot: {
    shardfit: multiHotRuns.map(({ params: _params, ...run }) => run),
    pytorch: multiHotTorchRuns,
  },
  dashboardOpen: dashboardRuns.map(({ params: _params, ...run }) => run),
  throughputCpu,
  cold: colds,
  whole,
  parallelProbes: probes,
  stepHeadroom: headrooms,
  kernels,
  predict,
  memory,
  totalSeconds,
};
const resultsDir = join(import.meta.dir, "results");
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `${report.date.replace(/[:.]/g, "-")}.json`);
await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${file}`);
if (json) console.log(JSON.stringify(summary));

/** The 2-worker runs without a dashboard beside those with one open: medians. */
function dashboardCost() {
  const closed = shardRuns.get(2)!;
  const both = <T>(f: (runs: ShardfitRun[]) => T) => ({
    closed: f(closed),
    open: f(dashboardRuns),
  });
  const cpuShare = (runs: ShardfitRun[]) =>
    median(runs.map((r) => r.cpu?.mainThreadShare ?? Number.NaN));
  return {
    samplesPerSecond: both((runs) => median(runs.map((r) => r.samplesPerSecond))),
    mainThreadBusyFraction: both((runs) =>
      median(runs.map((r) => r.profile.mainThreadBusyFraction)),
    ),
    mainThreadCpuShare: both(cpuShare),
    eventsRead: median(dashboardRuns.map((r) => r.dashboardEvents ?? 0)),
  };
}

function torchCell(row: PytorchRow): string {
  const name = settingName(row.setting);
  return "samplesPerSecond" in row ? `${name} ${fmt(row.samplesPerSecond, 0)}` : `${name} failed`;
}

function summaryCell(m: PytorchMedian): number | string {
  return "samplesPerSecond" in m && m.samplesPerSecond !== undefined
    ? Math.round(m.samplesPerSecond)
    : (m.error ?? "failed");
}

/** PyTorch's settings (median, range) beside shardfit's 2-worker figure. */
function torchTable(
  medians: readonly PytorchMedian[],
  best: PytorchMedian | undefined,
  shardfit2: number,
): string {
  return table([
    ["PyTorch torch/BLAS threads", "samples/s", "range", "shardfit 2w / this"],
    ...medians.map((m) =>
      "samplesPerSecond" in m && m.samplesPerSecond !== undefined
        ? [
            `${settingName(m.setting)}${m === best ? " (best)" : ""}`,
            fmt(m.samplesPerSecond, 0),
            `${fmt(m.range[0], 0)}–${fmt(m.range[1], 0)}`,
            `${fmt(shardfit2 / m.samplesPerSecond, 2)}×`,
          ]
        : [settingName(m.setting), "—", "—", m.error ?? ""],
    ),
  ]);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
