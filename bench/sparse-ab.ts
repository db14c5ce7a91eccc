/**
 * Interleaved A/B of the first layer's two forms, one thread: `bun bench/sparse-ab.ts [REPS]`
 * runs the worker step (fill + `gradientsInto`) with every batch forced dense (active columns
 * on the gemm) and forced sparse (CSR rows, src/wasm/sparse-rows.ts), alternating step by step, on
 * real MNIST batches for the MLP (batch 64 and 128) and on synthetic multi-hot batches
 * (bench/multi-hot.ts, kept as CSR rows as a worker keeps them, batch 512), the weights on a
 * shared memory as the training plane holds them (bench/plane-vectors.ts). Prints each
 * case's median ms per step (with the spread), its density (entries per cell of the dense
 * block) and which form `sparseIsCheaper` picks: the data that set SPARSE_DENSITY.
 */
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { type SampleSet, samplesFromArrays, samplesFromImages } from "../src/core/data/dataset.ts";
import { initParams } from "../src/core/model/init.ts";
import { mlpSpec } from "../src/core/model/presets.ts";
import type { ModelSpec } from "../src/core/model/sequential.ts";
import { type Batch, createBatch, fillBatch } from "../src/worker/batch.ts";
import { workerModel } from "../src/worker/model.ts";
import { sparseIsCheaper } from "../src/worker/sparse-input.ts";
import { multiHotArrays, multiHotSet, multiHotSpec } from "./multi-hot.ts";
import { planeVectors } from "./plane-vectors.ts";
import { fmt, median, table } from "./stats.ts";

const reps = Number(process.argv[2] ?? 60);

interface Case {
  name: string;
  spec: ModelSpec;
  set: SampleSet;
  batchSize: number;
}

const mnist = await loadIdxDataset();
const cases: Case[] = [
  {
    name: "MNIST MLP, batch 64",
    spec: mlpSpec(),
    set: samplesFromImages(mnist.train),
    batchSize: 64,
  },
  {
    name: "MNIST MLP, batch 128",
    spec: mlpSpec(),
    set: samplesFromImages(mnist.train),
    batchSize: 128,
  },
  {
    name: "multi-hot 10,000 @1.5%, batch 512",
    spec: multiHotSpec(),
    set: samplesFromArrays(multiHotArrays(multiHotSet(4096, 1))),
    batchSize: 512,
  },
];

const spread = (v: number[]) => `${fmt(Math.min(...v), 2)}–${fmt(Math.max(...v), 2)}`;
const rows: string[][] = [];
for (const c of cases) {
  const model = workerModel(c.spec);
  const {
    weights,
    params,
    grads: [grads],
  } = planeVectors(initParams(c.spec, 1));
  const forms = ["dense", "sparse"] as const;
  const batches = forms.map((f) =>
    createBatch(c.batchSize, model.inputSize, model.classes, false, f),
  );
  const times: number[][] = [[], []];
  const order = Int32Array.from({ length: c.set.count }, (_, i) => i);
  let density = 0;
  let picks = 0;
  for (let rep = -5; rep < reps; rep++) {
    const start = ((rep + 5) * c.batchSize) % (c.set.count - c.batchSize);
    const run = (i: number, batch: Batch) => {
      const t0 = performance.now();
      fillBatch(batch, c.set, order, start, c.batchSize, c.batchSize);
      model.gradientsInto(params, batch, grads, { step: rep, weights });
      if (rep >= 0) times[i].push(performance.now() - t0);
    };
    const both = rep % 2 ? [1, 0] : [0, 1];
    for (const i of both) run(i, batches[i]);
    if (rep >= 0) {
      const b = batches[1];
      const entries = b.rows.rowStart[b.capacity];
      density += entries / (b.capacity * b.width) / reps;
      if (sparseIsCheaper(entries, b.capacity, b.width)) picks++;
    }
  }
  rows.push([
    c.name,
    `${fmt(median(times[0]), 2)} (${spread(times[0])})`,
    `${fmt(median(times[1]), 2)} (${spread(times[1])})`,
    fmt(median(times[0]) / median(times[1]), 2),
    fmt(density, 3),
    `${picks}/${reps} sparse`,
  ]);
}
console.log(
  table([
    ["case", "dense ms/step", "sparse ms/step", "dense/sparse", "density", "auto picks"],
    ...rows,
  ]),
);
