/**
 * `bun run bench:remote [-- --steps 200 --json]`: the same training three ways, each with two
 * computing threads on this machine —
 *
 *   local     2 worker threads of one process, gradients meet on shared memory
 *   2 procs   2 worker processes (Bun, 1 thread each) joined over loopback WebSocket
 *   1×2       1 worker process with 2 threads (pre-reduced on shared memory) joined remotely
 *
 * Two epochs of `steps` batches of 128 per run; figures are from the second epoch (the first
 * warms the workers up). The step split: compute (a participant's time from weights received
 * to gradient ready, incl. its local pre-reduce), network (gradient sent → weights received,
 * minus the coordinator's reduce), reduce (coordinator: sum + RMSprop).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { flagsOrExit, intFlag, parseFlags } from "../src/cli/args.ts";
import { frameBytes } from "../src/collective/wire.ts";
import type { Dataset } from "../src/core/data/dataset.ts";
import { train } from "../src/train/train.ts";
import type { TrainResult } from "../src/train/types.ts";
import { bestMachineCount, type ModelInputs, stepModel } from "./scaling.ts";
import { fmt, table } from "./stats.ts";

const USAGE = `Usage: bun bench/remote.ts [--steps N] [--json]

  --steps N    training steps of batch 128 per epoch (default 200)
  --json       end stdout with a one-line JSON summary
  -h, --help   show this help`;

const BATCH = 128;
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TOKEN = "bench-token-0123456789abcdef";

interface Row {
  config: string;
  samplesPerSecond: number;
  msPerStep: number;
  bytesPerStep: number;
  /** Gradient bytes the coordinator received per step. */
  gradientBytesPerStep: number;
  computeMs: number;
  networkMs: number;
  reduceMs: number;
}

const flags = flagsOrExit("bench:remote", USAGE, () => {
  const v = parseFlags(process.argv.slice(2), {
    steps: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return { steps: intFlag("steps", v.steps ?? "200", 2), json: v.json ?? false };
});

const dataset = await loadIdxDataset();
const base = (d: Dataset) => ({
  dataset: d,
  epochs: 2,
  batchSize: BATCH,
  trainLimit: flags.steps * BATCH,
  testLimit: 1000,
  out: false as const,
  profile: true,
});

function perEpoch(result: TrainResult) {
  const seconds = result.history[1].trainSeconds;
  return {
    samplesPerSecond: (flags.steps * BATCH) / seconds,
    msPerStep: (1000 * seconds) / flags.steps,
  };
}

async function local(): Promise<Row> {
  const result = await train({ ...base(dataset), workers: 2 });
  const p = result.profile!;
  return {
    config: "local: 2 threads, shared memory",
    ...perEpoch(result),
    bytesPerStep: 0,
    gradientBytesPerStep: 0,
    computeMs: p.compute,
    networkMs: 0,
    reduceMs: p.gradBarrier + p.update + p.updateBarrier,
  };
}

async function remote(config: string, processes: number, threads: number): Promise<Row> {
  const children: ReturnType<typeof Bun.spawn>[] = [];
  const result = await train({
    ...base(dataset),
    remote: { expectWorkers: processes, token: TOKEN },
    onProgress: (event) => {
      if (event.type !== "listening") return;
      for (let i = 0; i < processes; i++) {
        const args = ["--join", event.joinUrl, "--token", TOKEN, "--threads", String(threads)];
        children.push(
          Bun.spawn([join(ROOT, "node_modules/.bin/bun"), "src/cli/worker.ts", ...args], {
            cwd: ROOT,
            stdout: "ignore",
            stderr: "inherit",
          }),
        );
      }
    },
  });
  await Promise.all(children.map((c) => c.exited));
  const n = result.network!;
  const mean = (f: (p: (typeof n.participants)[0]) => number) =>
    n.participants.reduce((a, p) => a + f(p), 0) / n.participants.length;
  return {
    config,
    ...perEpoch(result),
    bytesPerStep: n.bytesInPerStep + n.bytesOutPerStep,
    gradientBytesPerStep: n.bytesInPerStep,
    computeMs: mean((p) => p.computeMs),
    networkMs: mean((p) => p.exchangeMs) - n.reduceMs,
    reduceMs: n.reduceMs,
  };
}

const rows: Row[] = [];
for (const run of [
  local,
  () => remote("2 processes × 1 thread, loopback WebSocket", 2, 1),
  () => remote("1 process × 2 threads, loopback WebSocket", 1, 2),
]) {
  const row = await run();
  console.error(`bench:remote: ${row.config}: ${Math.round(row.samplesPerSecond)} samples/s`);
  rows.push(row);
}

console.log(
  table([
    [
      "configuration",
      "samples/s",
      "ms/step",
      "bytes/step",
      "compute ms",
      "network ms",
      "reduce ms",
    ],
    ...rows.map((r) => [
      r.config,
      fmt(r.samplesPerSecond, 0),
      fmt(r.msPerStep, 2),
      fmt(r.bytesPerStep, 0),
      fmt(r.computeMs, 2),
      fmt(r.networkMs, 2),
      fmt(r.reduceMs, 2),
    ]),
  ]),
);

// The scaling model, fed with this run's measurements: compute of one 2-thread machine (the
// 1×2 row), the coordinator's reduce for 1 and 2 participants (a + b·M), an assumed LAN RTT.
const [, twoProcs, oneByTwo] = rows;
const perMachine = twoProcs.reduceMs - oneByTwo.reduceMs;
const inputs: ModelInputs = {
  computeMs: oneByTwo.computeMs,
  reduceFixedMs: oneByTwo.reduceMs - perMachine,
  reducePerMachineMs: perMachine,
  // A gradient frame of the 2-process row (64 samples each; row-masked frames vary with it).
  gradientBytes: twoProcs.gradientBytesPerStep / 2,
  weightsBytes: frameBytes(407_050),
  rttMs: 0.2,
  batch: BATCH,
};
const links = [
  ["1 Gbit/s", 1e9],
  ["10 Gbit/s", 1e10],
] as const;
const model = links.map(([name, bps]) => ({
  link: name,
  best: bestMachineCount(inputs, bps),
  rows: [1, 2, 3, 4, 8, 16].map((m) => stepModel(inputs, m, bps)),
}));
for (const { link, best, rows: modelRows } of model) {
  console.log(`\nscaling model, ${link} (shortest step at M = ${best}):`);
  console.log(
    table([
      ["machines", "compute ms", "network ms", "reduce ms", "step ms", "samples/s"],
      ...modelRows.map((r) => [
        String(r.machines),
        fmt(r.computeMs, 2),
        fmt(r.networkMs, 2),
        fmt(r.reduceMs, 2),
        fmt(r.stepMs, 2),
        fmt(r.samplesPerSecond, 0),
      ]),
    ]),
  );
}
if (flags.json) console.log(JSON.stringify({ steps: flags.steps, rows, inputs, model }));
process.exit(0);
