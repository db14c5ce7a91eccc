/**
 * Interleaved A/B of the convnet training step on tfjs-wasm (the step workers run where relaxed
 * SIMD is missing; bench/step-ab.ts compares the worker's own step), one thread, batch 32:
 * `bun bench/conv-ab.ts [baseline-ref] [reps]` runs the convnet step of src/ as
 * it is at `baseline-ref` (git, default the branch's merge base with main) against this
 * tree's, alternating step by step so both see the same machine load (the machine is shared),
 * and reports medians, samples/s, GFLOP/s and the largest gradient difference between them.
 * Each step's CPU time (process.cpuUsage: tfjs-wasm runs on this one thread) is reported next
 * to its wall time: it is what the step costs when other processes share the cores.
 */
import { join } from "node:path";
import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { tf, useWasmBackend } from "../src/tf/backend.ts";
import * as current from "../src/tf/sequential.ts";
import { baselineTree, git } from "./baseline.ts";
import {
  FLOPS_PER_SAMPLE,
  PhaseTimer,
  runStep,
  type SequentialModule,
  stepInputs,
} from "./conv/step.ts";
import { positionalArgs } from "./positional.ts";
import { median, table } from "./stats.ts";

async function loadBaseline(ref: string): Promise<SequentialModule> {
  return import(join(baselineTree(ref), "src", "tf", "sequential.ts"));
}

const USAGE = `Usage: bun bench/conv-ab.ts [REF] [REPS]

  REF          git revision whose src/ is the baseline
               (default: the merge base of HEAD and main)
  REPS         timed steps per variant, interleaved (default 30)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const ref = args[0] ?? git("merge-base", "HEAD", "main");
const reps = flagsOrExit("bench/conv-ab.ts", USAGE, () =>
  intFlag("REPS", args[1] ?? "30", 1, 1000),
);
await useWasmBackend();
const baseline = await loadBaseline(ref);
const inputs = stepInputs(32);

const variants = { [`baseline ${ref.slice(0, 8)}`]: baseline, current } as const;
const timers = new Map(Object.keys(variants).map((k) => [k, new PhaseTimer()]));
/**
 * The matMul reference, timed between the steps under the same load: the convnet's largest
 * product (conv2's im2col forward, [3872, 288]·[288, 64]) on resident operands.
 */
const PEAK_FLOPS = 2 * 3872 * 288 * 64;
const peakA = tf.randomNormal([3872, 288]) as tf.Tensor2D;
const peakB = tf.randomNormal([288, 64]) as tf.Tensor2D;
const peakCpu: number[] = [];
const timePeak = () => {
  const c0 = process.cpuUsage();
  const product = tf.matMul(peakA, peakB);
  product.dataSync();
  product.dispose();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const grads = new Map(Object.keys(variants).map((k) => [k, new Float32Array(inputs.layout.size)]));
for (let rep = -3; rep < reps; rep++) {
  for (const [name, m] of Object.entries(variants)) {
    if (rep < 0) runStep(m, inputs, grads.get(name)!);
    else timers.get(name)!.time(m, inputs, grads.get(name)!);
  }
  const ms = timePeak();
  if (rep >= 0) peakCpu.push(ms);
}
const peakGflops = PEAK_FLOPS / median(peakCpu) / 1e6;
console.log(
  `matMul reference [3872, 288]·[288, 64]: ${peakGflops.toFixed(2)} GFLOP/s (median CPU time)`,
);
const rate = (ms: number) =>
  `${ms.toFixed(2)} ms = ${Math.round((32 / ms) * 1000)} samples/s, ${((32 * FLOPS_PER_SAMPLE) / ms / 1e6).toFixed(2)} GFLOP/s`;
for (const [name, { steps }] of timers) {
  console.log(
    `${name.padEnd(18)} median wall ${rate(median(steps.wall))} (min ${Math.min(...steps.wall).toFixed(2)}); ` +
      `median CPU ${rate(median(steps.cpu))}, ` +
      `${((100 * (32 * FLOPS_PER_SAMPLE)) / median(steps.cpu) / 1e6 / peakGflops).toFixed(0)}% of the matMul reference`,
  );
}
// Phase by phase (median CPU ms), where both variants mark the same phases.
const [first, second] = [...timers.values()];
const rows = [["phase (median CPU ms)", ...timers.keys()]];
for (const [phase, p] of first.phases) {
  const q = second.phases.get(phase);
  rows.push([phase, median(p.cpu).toFixed(2), q ? median(q.cpu).toFixed(2) : "–"]);
}
if (rows.length > 1) console.log(table(rows, ["l", "r", "r"]));
const [a, b] = [...grads.values()];
let diff = 0;
let peak = 0;
for (let i = 0; i < a.length; i++) {
  diff = Math.max(diff, Math.abs(a[i] - b[i]));
  peak = Math.max(peak, Math.abs(a[i]));
}
console.log(`max |Δgradient| ${diff.toExponential(2)} (peak |gradient| ${peak.toExponential(2)})`);
