/**
 * Conv2D forward/backward throughput on tfjs-wasm for the convnet's three conv layers
 * (`bun bench/conv.ts [batch]`): tf.conv2d vs src/tf/conv2d.ts's im2col forward, and its
 * forward + hand-derived backward (kernel, bias and, past the first layer, input gradients).
 * Then the whole convnet step of src/tf/sequential.ts as a worker runs it, its breakdown by
 * layer and phase (wall and CPU time: the machine is shared, CPU time is what the step costs)
 * and the costliest kernels. Median of 20 runs each. FLOPs count 2·B·oh·ow·kh·kw·cin·cout per
 * product (forward, dK, dX). Before/after comparisons: bench/conv-ab.ts. This is the tfjs step,
 * which workers run only where relaxed SIMD is missing; the worker's own step (the wasm gemm,
 * src/worker/sequential-gemm.ts) is measured by bench/step-ab.ts and `bun run bench`.
 */
import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { conv2d } from "../src/core/model/sequential.ts";
import { tf, useWasmBackend } from "../src/tf/backend.ts";
import { conv2dBackward, conv2dForward, convWindow, im2col } from "../src/tf/conv2d.ts";
import * as sequential from "../src/tf/sequential.ts";
import { FLOPS_PER_SAMPLE, PhaseTimer, runStep, stepInputs } from "./conv/step.ts";
import { positionalArgs } from "./positional.ts";
import { median as medianOf, table } from "./stats.ts";

const USAGE = `Usage: bun bench/conv.ts [BATCH]

  BATCH        samples per step (default 32)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const batch = flagsOrExit("bench/conv.ts", USAGE, () => intFlag("BATCH", args[0] ?? "32", 1, 512));
await useWasmBackend();

function timeMedian(run: () => tf.Tensor | tf.Tensor[], reps = 20): number {
  const once = () => {
    const t0 = performance.now();
    const out = run();
    for (const t of [out].flat()) t.dataSync();
    const ms = performance.now() - t0;
    tf.dispose(out);
    return ms;
  };
  for (let i = 0; i < 5; i++) once();
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return times[Math.floor(reps / 2)];
}

const shapes: [number, number, number, number][] = [
  [28, 28, 1, 32],
  [13, 13, 32, 64],
  [5, 5, 64, 64],
];
let total = { ms: 0, flops: 0 };
for (const [h, w, cin, cout] of shapes) {
  const layer = conv2d(cout, 3);
  const x = tf.randomNormal([batch, h, w, cin]) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, cin, cout]) as tf.Tensor4D;
  const b = tf.zeros([cout]) as tf.Tensor1D;
  const [oh, ow] = [h - 2, w - 2];
  const dz = tf.randomNormal([batch, oh, ow, cout]) as tf.Tensor4D;
  // im2col's columns are (c, i, j): the kernel in that order.
  const kernelRows = tf.reshape(tf.transpose(k, [2, 0, 1, 3]), [9 * cin, cout]);
  const flops = 2 * batch * oh * ow * 9 * cin * cout;
  const fwdConv = timeMedian(() => tf.conv2d(x, k, 1, "valid"));
  const fwd = timeMedian(() =>
    tf.tidy(() => tf.add(tf.matMul(im2col(x, convWindow(layer)), kernelRows), b)),
  );
  const full = timeMedian(() =>
    tf.tidy(() => {
      const z = conv2dForward(x, k, b, layer);
      const g = conv2dBackward(x, k, dz, layer, { bias: true, inputGradient: cin > 1 });
      return [z, g.kernel, g.bias!, ...(g.x ? [g.x] : [])];
    }),
  );
  const gf = (ms: number, n = 1) => ((n * flops) / ms / 1e6).toFixed(2);
  console.log(
    `${h}×${w}×${cin}→${cout}: forward tf.conv2d ${fwdConv.toFixed(2)} ms (${gf(fwdConv)} GFLOP/s), ` +
      `forward im2col·K ${fwd.toFixed(2)} ms (${gf(fwd)}), ` +
      `forward+backward ${full.toFixed(2)} ms (${gf(full, cin > 1 ? 3 : 2)} GFLOP/s)`,
  );
  total = { ms: total.ms + full, flops: total.flops + flops * (cin > 1 ? 3 : 2) };
  tf.dispose([x, k, b, dz, kernelRows]);
}
console.log(
  `batch ${batch}: conv forward+backward ${total.ms.toFixed(2)} ms, ${(total.flops / total.ms / 1e6).toFixed(2)} GFLOP/s`,
);

// The whole convnet step as a worker runs it (fresh parameter tensors, upload, download).
const inputs = stepInputs(batch);
const grads = new Float32Array(inputs.layout.size);
for (let i = 0; i < 5; i++) runStep(sequential, inputs, grads);
const timer = new PhaseTimer();
for (let rep = 0; rep < 20; rep++) timer.time(sequential, inputs, grads);
const { phases, steps } = timer;
const stepMs = { wall: medianOf(steps.wall), cpu: medianOf(steps.cpu) };
console.log(
  `convnet step (batch ${batch}, wasm, one thread, parameters and batch uploaded, gradients downloaded): ` +
    `median ${stepMs.wall.toFixed(2)} ms wall (${Math.round((batch / stepMs.wall) * 1000)} samples/s), ` +
    `${stepMs.cpu.toFixed(2)} ms CPU (${Math.round((batch / stepMs.cpu) * 1000)} samples/s, ` +
    `${((batch * FLOPS_PER_SAMPLE) / stepMs.cpu / 1e6).toFixed(2)} GFLOP/s)`,
);
const rows = [["phase", "wall ms", "CPU ms", "share of CPU"]];
for (const [phase, p] of phases) {
  const cpu = medianOf(p.cpu);
  rows.push([
    phase,
    medianOf(p.wall).toFixed(2),
    cpu.toFixed(2),
    `${((100 * cpu) / stepMs.cpu).toFixed(1)}%`,
  ]);
}
console.log(table(rows, ["l", "r", "r", "r"]));

// Where the kernels' time goes: tf.profile of a few steps with each kernel's CPU time (the
// wasm backend times kernels by wall clock, which a shared machine inflates), median per step.
const backend = tf.backend() as unknown as { time(f: () => void): Promise<{ kernelMs: number }> };
const wallTime = backend.time;
backend.time = async (f) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return { kernelMs: (c.user + c.system) / 1000 };
};
const kernels = new Map<string, number[]>();
const profiled = 9;
for (let i = 0; i < profiled; i++) {
  const info = await tf.profile(() => {
    runStep(sequential, inputs, grads);
  });
  const step = new Map<string, number>();
  // "…__op" records wrap the kernels of an op with a custom gradient: counted in those already.
  for (const k of info.kernels.filter((k) => !k.name.endsWith("__op"))) {
    const key = `${k.name} ${k.inputShapes.map((s) => (s ? s.join("×") : "")).join(", ")}`;
    step.set(key, (step.get(key) ?? 0) + (k.kernelTimeMs as number));
  }
  for (const [key, ms] of step) kernels.set(key, [...(kernels.get(key) ?? []), ms]);
}
backend.time = wallTime;
const byKernel = [...kernels].map(([k, ms]) => [k, medianOf(ms)] as const);
const kernelTotal = byKernel.reduce((sum, [, ms]) => sum + ms, 0);
const top = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 25);
console.log(
  table(
    [
      ["kernel (inputs)", "CPU ms/step"],
      ...top.map(([k, ms]) => [k, ms.toFixed(2)]),
      [`all ${byKernel.length} kernels`, kernelTotal.toFixed(2)],
    ],
    ["l", "r"],
  ),
);
