/**
 * The baseline: tfjs's own `model.fit` on the wasm backend in the main thread, the same
 * Dense(512, relu) → Dense(10, softmax) model, RMSprop(1e-3) and batch size as shardfit.
 * tfjs puts RMSprop's epsilon inside the square root (Keras puts it outside); irrelevant for
 * speed. Input tensors are built once, outside the timing; only `fit` is timed.
 */

import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../src/core/data/dataset.ts";
import { useWasmBackend } from "../src/tf/backend.ts";

export interface FitBaseline {
  /** Steps (batches) per timed `fit` call. */
  steps: number;
  /** Runs one timed `fit` epoch over the prepared samples; returns samples/s. */
  rep(): Promise<{ samplesPerSecond: number; msPerStep: number }>;
  /** Frees the model and data tensors. */
  dispose(): void;
  /** Set when the time box cut the step count below the one asked for. */
  note?: string;
}

export async function prepareFitBaseline(
  dataset: Dataset,
  options: { steps: number; batchSize: number; maxSecondsPerRep: number },
): Promise<FitBaseline> {
  await useWasmBackend();
  const { batchSize } = options;
  const px = dataset.train.rows * dataset.train.cols;
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 512, activation: "relu", inputShape: [px] }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  model.compile({
    optimizer: tf.train.rmsprop(1e-3, 0.9, 0, 1e-7),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });

  const tensors = (count: number) => {
    const images = dataset.train.images.subarray(0, count * px);
    const x = new Float32Array(count * px);
    for (let i = 0; i < x.length; i++) x[i] = images[i] / 255;
    const y = new Float32Array(count * 10);
    for (let i = 0; i < count; i++) y[i * 10 + dataset.train.labels[i]] = 1;
    return { x: tf.tensor2d(x, [count, px]), y: tf.tensor2d(y, [count, 10]) };
  };

  // Warm-up: compile the kernels and JIT the layers code on a few batches.
  const warm = tensors(batchSize);
  let warmMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    tf.dispose(await model.trainOnBatch(warm.x, warm.y));
    warmMs = Math.min(warmMs, performance.now() - t0);
  }
  tf.dispose([warm.x, warm.y]);

  // Time box: on a slow or busy machine, fewer steps (same rate, bounded run time).
  let steps = options.steps;
  let note: string | undefined;
  const budgetSteps = Math.floor((options.maxSecondsPerRep * 1000) / warmMs);
  if (budgetSteps < steps) {
    steps = Math.max(10, budgetSteps);
    note = `fit time-boxed to ${steps} steps per repetition (warm-up step ${warmMs.toFixed(0)} ms)`;
  }
  const count = Math.min(steps * batchSize, dataset.train.count);
  steps = Math.ceil(count / batchSize);
  const { x, y } = tensors(count);

  return {
    steps,
    note,
    async rep() {
      const t0 = performance.now();
      await model.fit(x, y, { batchSize, epochs: 1, shuffle: true, verbose: 0 });
      const seconds = (performance.now() - t0) / 1000;
      return { samplesPerSecond: count / seconds, msPerStep: (1000 * seconds) / steps };
    },
    dispose() {
      tf.dispose([x, y]);
      model.dispose();
    },
  };
}
