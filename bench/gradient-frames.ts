/**
 * Bytes of a networked worker's gradient frame, dense against row-masked
 * (src/collective/gradient-frame.ts): `bun bench/gradient-frames.ts [STEPS]` computes real
 * gradients (the worker model's `gradientsInto`, one thread, initial weights) of STEPS shuffled
 * batches per case — MNIST MLP batch 64 and 128 (a worker's share of a global 128 or 256 with 2
 * workers), the multi-hot model (bench/multi-hot.ts: uniform words) batch 64 and 512 — encodes
 * each as a worker does and prints the mean frame bytes against dense, the rows left out, and
 * the median milliseconds to encode and to read back (the coordinator's rebuild, checked bit
 * for bit against the gradient).
 */
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { flagsOrExit, intFlag } from "../src/cli/args.ts";
import { encodeGradient, gradientRows, readGradient } from "../src/collective/gradient-frame.ts";
import { FRAME, frameBytes, HEAD } from "../src/collective/wire.ts";
import { type SampleSet, samplesFromArrays, samplesFromImages } from "../src/core/data/dataset.ts";
import { Rng } from "../src/core/data/rng.ts";
import { initParams } from "../src/core/model/init.ts";
import { mlpSpec } from "../src/core/model/presets.ts";
import { type ModelSpec, modelLayout } from "../src/core/model/sequential.ts";
import { createBatch, fillBatch } from "../src/worker/batch.ts";
import { workerModel } from "../src/worker/model.ts";
import { multiHotArrays, multiHotSet, multiHotSpec } from "./multi-hot.ts";
import { positionalArgs } from "./positional.ts";
import { fmt, median, table } from "./stats.ts";

const USAGE = `Usage: bun bench/gradient-frames.ts [STEPS]

  STEPS        batches per case (default 100)
  -h, --help   show this help`;
const args = positionalArgs(USAGE);
const steps = flagsOrExit("bench/gradient-frames.ts", USAGE, () =>
  intFlag("STEPS", args[0] ?? "100", 1, 100_000),
);

interface Case {
  name: string;
  spec: ModelSpec;
  set: SampleSet;
  batchSize: number;
}

const mnist = samplesFromImages((await loadIdxDataset()).train);
const multiHot = samplesFromArrays(multiHotArrays(multiHotSet(4096, 1)));
const cases: Case[] = [
  { name: "MNIST MLP, batch 64", spec: mlpSpec(), set: mnist, batchSize: 64 },
  { name: "MNIST MLP, batch 128", spec: mlpSpec(), set: mnist, batchSize: 128 },
  { name: "multi-hot, batch 64", spec: multiHotSpec(), set: multiHot, batchSize: 64 },
  { name: "multi-hot, batch 512", spec: multiHotSpec(), set: multiHot, batchSize: 512 },
];

const sameBits = (a: Float32Array, b: Float32Array) => {
  const bits = (v: Float32Array) => new Uint32Array(v.buffer, v.byteOffset, v.length);
  const [x, y] = [bits(a), bits(b)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

const rows: string[][] = [];
for (const c of cases) {
  const model = workerModel(c.spec);
  const bounds = gradientRows(modelLayout(c.spec));
  const params = initParams(c.spec, 1);
  const grads = new Float32Array(model.size);
  const scratch = new Float32Array(model.size);
  const batch = createBatch(c.batchSize, model.inputSize, model.classes, model.allColumns);
  const order = Rng.fromSeed(5).shuffle(Int32Array.from({ length: c.set.count }, (_, i) => i));
  let bytes = 0;
  let leftOut = 0;
  let masked = 0;
  const encodeMs: number[] = [];
  const readMs: number[] = [];
  for (let step = 0; step < steps; step++) {
    const start = (step * c.batchSize) % (c.set.count - c.batchSize);
    fillBatch(batch, c.set, order, start, c.batchSize, c.batchSize);
    model.gradientsInto(params, batch, grads, { step });
    const t0 = performance.now();
    const frame = encodeGradient(grads, bounds);
    const t1 = performance.now();
    const read = readGradient(frame.buffer, model.size, bounds).vector(() => scratch);
    readMs.push(performance.now() - t1);
    if (!sameBits(read, grads)) throw new Error(`${c.name}: step ${step} did not read back`);
    encodeMs.push(t1 - t0);
    bytes += frame.buffer.byteLength / steps;
    if (frame.head[HEAD.kind] === FRAME.maskedRows) masked++;
    // Every row whose bits are all zero (whichever form the frame took).
    for (let r = 0; r + 1 < bounds.length; r++) {
      if (grads.subarray(bounds[r], bounds[r + 1]).every((v) => Object.is(v, 0))) {
        leftOut += 1 / steps;
      }
    }
  }
  const dense = frameBytes(model.size);
  rows.push([
    c.name,
    fmt(dense, 0),
    fmt(bytes, 0),
    fmt(bytes / dense, 3),
    `${fmt(leftOut, 1)} / ${bounds.length - 1}`,
    `${masked}/${steps}`,
    fmt(median(encodeMs), 3),
    fmt(median(readMs), 3),
  ]);
  console.error(`bench/gradient-frames: ${c.name}: ${fmt(bytes, 0)} of ${dense} bytes`);
}
console.log(`gradient frame bytes, ${steps} batches per case, initial weights`);
console.log(
  table([
    ["case", "dense bytes", "mean bytes", "ratio", "zero rows", "masked", "encode ms", "read ms"],
    ...rows,
  ]),
);
