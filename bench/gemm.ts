/**
 * Our wasm SIMD gemm (src/wasm/gemm.ts) against tfjs-wasm's matMul (XNNPACK) at the training
 * step's shapes: `bun bench/gemm.ts [reps]` (or `deno run -A bench/gemm.ts [reps]`).
 *
 * Interleaved: every rep times each shape × variant once, the variants in a rotated order, so
 * all see the same machine load. A sample is a batch of calls (~4 ms) timed in CPU time
 * (process.cpuUsage): tfjs-wasm and our kernel both run on this one thread, and CPU time is what
 * a call costs when other processes share the cores. Medians over reps; GFLOP/s = 2·m·k·n / time.
 *
 * Operands are resident for both: tfjs keeps B's tensor (XNNPACK packs it once and caches the
 * operator; "tfjs new B" uploads B as a new tensor every call, as a training step's updated
 * weights are), ours multiplies a B packed once (k loop unrolled by 4; "rolled": not). "pack+fma"
 * packs B on every call; "in place" reads B unpacked (its k loop is never unrolled). tfjs reads C back with dataSync (forcing
 * it); ours leaves C in the memory.
 */

import * as tf from "@tensorflow/tfjs";
import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { useWasmBackend } from "../src/tf/backend.ts";
import { Gemm, type Matrix, type PackedMatrix } from "../src/wasm/gemm.ts";
import { cpuWindow } from "./cpu.ts";
import { positionalArgs } from "./positional.ts";
import { fmt, median, table } from "./stats.ts";
import { TRAINING_PRODUCTS } from "./training-shapes.ts";

const SHAPES = TRAINING_PRODUCTS;
const VARIANTS = [
  "tfjs",
  "tfjs new B",
  "fma 4×8",
  "mul+add 4×8",
  "fma 6×8",
  "mul+add 6×8",
  "fma 4×8 rolled",
  "fma 6×8 rolled",
  "pack+fma 6×8",
  "in place fma 6×8",
] as const;
type Variant = (typeof VARIANTS)[number];

const USAGE = `Usage: bun bench/gemm.ts [REPS]

  REPS         samples per shape and variant, interleaved (default 21)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const reps = flagsOrExit("bench/gemm.ts", USAGE, () => intFlag("REPS", args[0] ?? "21", 1, 1000));

/**
 * CPU nanoseconds of this process (getrusage: exact to the µs on Linux; /proc's per-thread
 * schedstat only advances at scheduler ticks). Both libraries compute on this thread; the
 * runtime's GC and JIT threads add what they add to both.
 */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** Both libraries' operands for one shape, and a call per variant. */
function setUp([m, k, n]: readonly [number, number, number], seed: number) {
  const aValues = random(m * k, seed);
  const bValues = random(k * n, seed + 1);
  const ta = tf.tensor2d(aValues, [m, k]);
  const tb = tf.tensor2d(bValues, [k, n]);
  const gemm = new Gemm();
  const a = gemm.matrix(m, k, aValues);
  const b = gemm.matrix(k, n, bValues);
  const packed: PackedMatrix = gemm.pack(b);
  const c: Matrix = gemm.matrix(m, n);
  const calls: Record<Variant, () => void> = {
    tfjs: () => {
      const product = tf.matMul(ta, tb);
      product.dataSync();
      product.dispose();
    },
    "tfjs new B": () => {
      const fresh = tf.tensor2d(bValues, [k, n]);
      const product = tf.matMul(ta, fresh);
      product.dataSync();
      tf.dispose([product, fresh]);
    },
    "fma 4×8": () => gemm.multiply(a, packed, c, { tileRows: 4 }),
    "mul+add 4×8": () => gemm.multiply(a, packed, c, { fma: false, tileRows: 4 }),
    "fma 6×8": () => gemm.multiply(a, packed, c),
    "mul+add 6×8": () => gemm.multiply(a, packed, c, { fma: false }),
    "fma 4×8 rolled": () => gemm.multiply(a, packed, c, { tileRows: 4, unrolled: false }),
    "fma 6×8 rolled": () => gemm.multiply(a, packed, c, { unrolled: false }),
    "pack+fma 6×8": () => gemm.multiply(a, gemm.pack(b, packed), c),
    "in place fma 6×8": () => gemm.multiply(a, b, c),
  };
  /** Largest |ours − tfjs| relative to the largest |tfjs| entry: the two agree. */
  const disagreement = () => {
    const product = tf.matMul(ta, tb);
    const theirs = product.dataSync();
    product.dispose();
    calls["fma 6×8"]();
    const ours = gemm.view(c);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < theirs.length; i++) {
      diff = Math.max(diff, Math.abs(ours[i] - theirs[i]));
      scale = Math.max(scale, Math.abs(theirs[i]));
    }
    return diff / scale;
  };
  return { calls, disagreement, dispose: () => tf.dispose([ta, tb]) };
}

/** Calls per sample so a sample takes about 4 ms (timed after warming up). */
function batchSize(call: () => void): number {
  for (let i = 0; i < 3; i++) call();
  const t0 = performance.now();
  call();
  return Math.max(1, Math.round(4 / Math.max(0.001, performance.now() - t0)));
}

/** The relaxed_madd build fuses here when x·x − (1 + 2⁻¹¹) keeps x² 's 2⁻²⁴ (x = 1 + 2⁻¹²). */
function fmaFuses(): boolean {
  const gemm = new Gemm();
  const x = 1 + 2 ** -12;
  const c = gemm.matrix(1, 1, [-(1 + 2 ** -11)]);
  gemm.multiply(gemm.matrix(1, 1, [x]), gemm.matrix(1, 1, [x]), c, { accumulate: true });
  return gemm.view(c)[0] !== 0;
}

await useWasmBackend();
const runtime =
  "Deno" in globalThis
    ? `Deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno}`
    : `Bun ${Bun.version}`;
const shapes = SHAPES.map((s, i) => ({ shape: s, ...setUp(s, 10 * i + 1) }));
const batches = shapes.map(({ calls }) => VARIANTS.map((v) => batchSize(calls[v])));
const samples = shapes.map(() => VARIANTS.map(() => [] as number[]));
const wallSamples = shapes.map(() => VARIANTS.map(() => [] as number[]));

const window = cpuWindow();
for (let rep = 0; rep < reps; rep++) {
  for (let s = 0; s < shapes.length; s++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const v = (i + rep) % VARIANTS.length; // rotated, so no variant always runs first
      const call = shapes[s].calls[VARIANTS[v]];
      const [t0, w0] = [cpuNs(), performance.now()];
      for (let j = 0; j < batches[s][v]; j++) call();
      samples[s][v].push((cpuNs() - t0) / batches[s][v]);
      wallSamples[s][v].push(((performance.now() - w0) * 1e6) / batches[s][v]);
    }
  }
}
const load = window();

const gflops = (s: number, v: number) => {
  const [m, k, n] = shapes[s].shape;
  return (2 * m * k * n) / median(samples[s][v]);
};
console.log(
  `${runtime}, tfjs ${tf.version.tfjs} wasm backend; ${reps} interleaved samples per cell; ` +
    `relaxed_madd fused here: ${fmaFuses() ? "yes" : "no"}; ` +
    `tfjs WASM_HAS_SIMD_SUPPORT ${await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")}, ` +
    `WASM_HAS_MULTITHREAD_SUPPORT ${await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")}; ` +
    `${fmt(load.seconds, 0)} s, other processes used ${fmt(load.otherCores, 2)} cores meanwhile`,
);
const label = ([m, k, n]: readonly number[]) => `${m}×${k} · ${k}×${n}`;
console.log("GFLOP/s (2·m·k·n / median CPU time per call)");
console.log(
  table([
    ["m×k · k×n", ...VARIANTS, "tfjs ms", "wall/cpu", "max rel diff"],
    ...shapes.map(({ shape, disagreement }, s) => [
      label(shape),
      ...VARIANTS.map((_, v) => fmt(gflops(s, v), 1)),
      fmt(median(samples[s][0]) / 1e6, 3),
      fmt(median(wallSamples[s][0]) / median(samples[s][0]), 2),
      disagreement().toExponential(1),
    ]),
  ]),
);
const ours = VARIANTS.slice(2);
// B packed per call, or read in place, is what a fresh B costs: set against tfjs's fresh B.
console.log('\nours / tfjs (GFLOP/s ratio; "pack+" and "in place" against "tfjs new B")');
console.log(
  table([
    ["m×k · k×n", ...ours],
    ...shapes.map(({ shape }, s) => [
      label(shape),
      ...ours.map((name, i) => {
        const against = name.startsWith("pack+") || name.startsWith("in place") ? 1 : 0;
        return `${fmt(gflops(s, i + 2) / gflops(s, against), 2)}×`;
      }),
    ]),
  ]),
);
for (const { dispose } of shapes) dispose();
