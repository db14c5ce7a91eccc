/**
 * Worker for the step-headroom probe (bench/parallel.ts): loops the MLP worker's training step
 * (`workerModel(mlpSpec()).gradientsInto`, batch filling included) over real MNIST batches
 * for a fixed time, on weights that stay at their initial values.
 */
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { samplesFromImages } from "../src/core/data/dataset.ts";
import { initParams } from "../src/core/model/init.ts";
import { mlpSpec } from "../src/core/model/presets.ts";
import { createBatch, fillBatch } from "../src/worker/batch.ts";
import { workerModel } from "../src/worker/model.ts";
import { planeVectors } from "./plane-vectors.ts";

declare const self: Worker;

interface Job {
  ms: number;
  batch: number;
  /** First training sample of this thread's batches (threads step through disjoint ones). */
  offset: number;
}

self.onmessage = async (event: MessageEvent<Job>) => {
  const { ms, batch: rows, offset } = event.data;
  const { train } = await loadIdxDataset();
  const spec = mlpSpec();
  const model = workerModel(spec);
  const {
    weights,
    params,
    grads: [grads],
  } = planeVectors(initParams(spec, 1));
  const batch = createBatch(rows, model.inputSize, model.classes, model.allColumns);
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  let steps = 0;
  const step = () => {
    const start = (offset + steps * rows) % (train.count - rows);
    fillBatch(batch, samplesFromImages(train), order, start, rows, rows);
    model.gradientsInto(params, batch, grads, { step: steps, weights });
    steps++;
  };
  for (let i = 0; i < 10; i++) step();
  // Start together: the parent posts "go" to every worker once all are warm.
  self.postMessage({ ready: true });
  await new Promise<void>((resolve) => {
    self.onmessage = () => resolve();
  });
  steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) step();
  self.postMessage({ msPerStep: (performance.now() - t0) / steps });
};
