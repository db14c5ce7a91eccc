import { TIMING } from "../collective/telemetry.ts";
import type { ModelLayout } from "../core/model/sequential.ts";
import { tf, useWasmBackend } from "../tf/backend.ts";
import { sequentialLogits, sequentialLossAndGrads, sequentialTensors } from "../tf/sequential.ts";
import { copyInto, valuesOf } from "../tf/transfer.ts";
import type { Batch } from "./batch.ts";

/**
 * The worker's step on tfjs-wasm, where relaxed SIMD (the gemm's) is missing: every weight and
 * the whole images are uploaded, src/tf/sequential.ts runs the forward and hand-derived
 * backward, and the gradients land in `out` in flat-layout order. Every tensor is disposed
 * before a method returns. model.ts imports this module (and so tfjs) only when it is needed.
 */
export class TfjsStep {
  constructor(
    readonly layout: ModelLayout,
    readonly capacity: number,
  ) {}

  gradientsInto(
    params: Float32Array,
    batch: Batch,
    out: Float32Array,
    timings?: Float64Array,
    dropoutMasks?: readonly Float32Array[],
  ): { loss: number; correct: number } {
    const { layout } = this;
    const t0 = timings ? performance.now() : 0;
    const weights = sequentialTensors(layout, params);
    const b = this.batchTensors(batch);
    if (timings) timings[TIMING.upload] += performance.now() - t0;
    const result = sequentialLossAndGrads(layout, weights, b.x, b.y, b.weights, b.mask, {
      dropoutMasks,
    });
    try {
      const t1 = timings ? performance.now() : 0;
      result.grads.forEach((g, i) => {
        copyInto(g, out, layout.weights[i].offset);
      });
      const loss = result.loss.dataSync()[0];
      const correct = result.correct.dataSync()[0];
      if (timings) timings[TIMING.download] += performance.now() - t1;
      return { loss, correct };
    } finally {
      tf.dispose([...weights, b.x, b.y, b.weights, b.mask]);
      tf.dispose([result.loss, result.correct, ...result.grads]);
    }
  }

  /** The batch's logits (Dropout the identity), copied out of tfjs. */
  logits(params: Float32Array, batch: Batch): Float32Array {
    const weights = sequentialTensors(this.layout, params);
    const x = tf.tensor(batch.x, [batch.capacity, ...this.layout.inputShape]);
    const logits = sequentialLogits(this.layout, weights, x);
    try {
      return valuesOf(logits).slice();
    } finally {
      tf.dispose([...weights, x, logits]);
    }
  }

  /** The batch as tensors: `x` `[B, …input shape]`, one-hot labels, loss weights, real rows. */
  private batchTensors(batch: Batch) {
    const classes = batch.y.length / batch.capacity;
    return {
      x: tf.tensor(batch.x, [batch.capacity, ...this.layout.inputShape]),
      y: tf.tensor2d(batch.y, [batch.capacity, classes]),
      weights: tf.tensor1d(batch.weights),
      mask: tf.tensor1d(batch.mask),
    };
  }
}

/** The step engine of model.ts on tfjs's wasm backend: batches of whole images. */
export async function tfjsEngine() {
  await useWasmBackend();
  return {
    allColumns: () => true,
    step: (layout: ModelLayout, capacity: number) => new TfjsStep(layout, capacity),
    liveTensors: () => tf.memory().numTensors,
  };
}
