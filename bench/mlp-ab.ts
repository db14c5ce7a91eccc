/**
 * Interleaved A/B of the MLP worker step on tfjs-wasm, one thread: `bun bench/mlp-ab.ts [REF]
 * [REPS] [BATCH]` runs `computeGradientsInto` (upload of the active rows, forward, backward,
 * download: what a worker computes each step) as src/ is at git REF against this tree's,
 * alternating step by step over the same real MNIST batches, so both see the same machine
 * load. Reports median wall and CPU time per step and the largest gradient difference.
 */
import { join } from "node:path";
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { initParams } from "../src/core/init.ts";
import { DEFAULT_SPEC, paramLayout } from "../src/core/spec.ts";
import { useWasmBackend } from "../src/tf/backend.ts";
import { createBatch, fillBatch } from "../src/worker/batch.ts";
import * as current from "../src/worker/gradients.ts";
import { baselineTree, git } from "./baseline.ts";
import { positionalArgs } from "./positional.ts";
import { median, table } from "./stats.ts";

const USAGE = `Usage: bun bench/mlp-ab.ts [REF] [REPS] [BATCH]

  REF          git revision whose src/ is the baseline (default: HEAD)
  REPS         timed steps per variant, interleaved (default 100)
  BATCH        samples per step (default 64, a worker's share of 128 with 2 workers)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const ref = args[0] ?? "HEAD";
const { reps, batchSize } = flagsOrExit("bench/mlp-ab.ts", USAGE, () => ({
  reps: intFlag("REPS", args[1] ?? "100", 1, 10_000),
  batchSize: intFlag("BATCH", args[2] ?? "64", 1, 4096),
}));

type GradientsModule = Pick<typeof current, "computeGradientsInto">;
const baseline: GradientsModule = await import(
  join(baselineTree(ref), "src", "worker", "gradients.ts")
);
await useWasmBackend();
const data = await loadIdxDataset();
const layout = paramLayout(DEFAULT_SPEC);
const params = initParams(DEFAULT_SPEC, 1);
const batch = createBatch(batchSize, 784, 10);
const order = Int32Array.from({ length: data.train.count }, (_, i) => i);
const variants = { [`baseline ${git("rev-parse", "--short", ref)}`]: baseline, current };
const times = new Map(
  Object.keys(variants).map((k) => [k, { wall: [] as number[], cpu: [] as number[] }]),
);
const grads = new Map(Object.keys(variants).map((k) => [k, new Float32Array(layout.size)]));
for (let rep = -5; rep < reps; rep++) {
  const start = ((rep + 5) * batchSize) % (data.train.count - batchSize);
  fillBatch(batch, data.train, order, start, batchSize, batchSize);
  for (const [name, m] of Object.entries(variants)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    m.computeGradientsInto(layout, params, batch, grads.get(name)!);
    const c = process.cpuUsage(c0);
    if (rep < 0) continue;
    times.get(name)!.wall.push(performance.now() - t0);
    times.get(name)!.cpu.push((c.user + c.system) / 1000);
  }
}
const rows = [["variant", "median wall ms", "median CPU ms", "samples/s (CPU)"]];
for (const [name, t] of times) {
  const cpu = median(t.cpu);
  rows.push([
    name,
    median(t.wall).toFixed(2),
    cpu.toFixed(2),
    String(Math.round((batchSize / cpu) * 1000)),
  ]);
}
console.log(`MLP worker step, batch ${batchSize}, ${reps} interleaved steps per variant`);
console.log(table(rows, ["l", "r", "r", "r"]));
const [a, b] = [...grads.values()];
let diff = 0;
for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
console.log(`max |Δgradient| of the last step: ${diff.toExponential(2)}`);
