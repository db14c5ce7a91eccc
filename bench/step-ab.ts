/**
 * Interleaved A/B of a worker's training step, one thread: `bun bench/step-ab.ts [MODEL]
 * [REF] [REPS] [BATCH]` runs the worker model's `gradientsInto` (src/worker/model.ts: what a
 * worker computes each step, uploads and downloads included) as src/ is at git REF against
 * this tree's, alternating step by step (which goes first alternating too) over the same real
 * MNIST batches, so both see the same machine load. Reports median wall and CPU time per step
 * and the largest gradient difference.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { samplesFromImages } from "../src/core/data/dataset.ts";
import { initParams } from "../src/core/model/init.ts";
import { CONVNET_SPEC, mlpSpec } from "../src/core/model/presets.ts";
import { createBatch, fillBatch } from "../src/worker/batch.ts";
import * as current from "../src/worker/model.ts";
import { baselineTree, git } from "./baseline.ts";
import { planeVectors } from "./plane-vectors.ts";
import { positionalArgs } from "./positional.ts";
import { median, table } from "./stats.ts";

const MODELS = { mlp: mlpSpec(), convnet: CONVNET_SPEC } as const;

const USAGE = `Usage: bun bench/step-ab.ts [MODEL] [REF] [REPS] [BATCH]

  MODEL        mlp or convnet (default mlp)
  REF          git revision whose src/ is the baseline (default: HEAD)
  REPS         timed steps per variant, interleaved (default 100)
  BATCH        samples per step (default 64 for the MLP, 32 for the convnet: a worker's share
               of the global batch with 2 workers)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const modelName = args[0] ?? "mlp";
const ref = args[1] ?? "HEAD";
const { spec, reps, batchSize } = flagsOrExit("bench/step-ab.ts", USAGE, () => {
  if (!(modelName in MODELS)) throw new Error(`MODEL must be mlp or convnet, got ${modelName}`);
  const name = modelName as keyof typeof MODELS;
  return {
    spec: MODELS[name],
    reps: intFlag("REPS", args[2] ?? "100", 1, 10_000),
    batchSize: intFlag("BATCH", args[3] ?? (name === "mlp" ? "64" : "32"), 1, 4096),
  };
});

/** A revision's worker model module; one from before the single model path takes a ModelSpec. */
type ModelModule = { workerModel(spec: unknown): current.WorkerModel };
const tree = baselineTree(ref);
const baseline: ModelModule = await import(join(tree, "src", "worker", "model.ts"));
// A baseline that still has spec.ts trains the MLP as its Dense stack (the same flat layout).
const denseStack = modelName === "mlp" && existsSync(join(tree, "src", "core", "spec.ts"));
const baselineSpec = denseStack ? { inputSize: 784, hidden: [512], classes: 10 } : spec;
const data = await loadIdxDataset();
// As a worker holds them: on a shared memory, one gradient per variant (bench/plane-vectors.ts).
const plane = planeVectors(initParams(spec, 1), 2);
const { params, weights } = plane;
const variants = {
  [`baseline ${git("rev-parse", "--short", ref)}`]: baseline.workerModel(baselineSpec),
  current: current.workerModel(spec),
};
// The same samples for both, each in its own variant's batch layout (active columns or all).
// The baseline's step reads only the dense block (x): its batches never take the CSR form.
const batches = new Map(
  Object.entries(variants).map(([k, m]) => [
    k,
    createBatch(
      batchSize,
      m.inputSize,
      m.classes,
      m.allColumns,
      k === "current" ? "auto" : "dense",
    ),
  ]),
);
const order = Int32Array.from({ length: data.train.count }, (_, i) => i);
const times = new Map(
  Object.keys(variants).map((k) => [k, { wall: [] as number[], cpu: [] as number[] }]),
);
const grads = new Map(Object.keys(variants).map((k, i) => [k, plane.grads[i]]));
for (let rep = -5; rep < reps; rep++) {
  const start = ((rep + 5) * batchSize) % (data.train.count - batchSize);
  // Whichever runs second finds the caches the first left (~2% slower on the convnet): the
  // order alternates from step to step.
  const entries = Object.entries(variants);
  for (const [name, m] of rep % 2 ? entries.reverse() : entries) {
    const batch = batches.get(name)!;
    fillBatch(batch, samplesFromImages(data.train), order, start, batchSize, batchSize);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    m.gradientsInto(params, batch, grads.get(name)!, { step: rep, weights });
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
console.log(`${modelName} worker step, batch ${batchSize}, ${reps} interleaved steps per variant`);
console.log(table(rows, ["l", "r", "r", "r"]));
const [a, b] = [...grads.values()];
let diff = 0;
for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
console.log(`max |Δgradient| of the last step: ${diff.toExponential(2)}`);
