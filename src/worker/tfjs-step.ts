import { TIMING } from "../collective/telemetry.ts";
import type { LossName } from "../core/loss/loss.ts";
import type { OutputLoss } from "../core/loss/output-loss.ts";
import type { ModelLayout } from "../core/model/sequential.ts";
import { tf, useWasmBackend } from "../tf/backend.ts";
import { sequentialLossAndGrads, sequentialOutputs, sequentialTensors } from "../tf/sequential.ts";
import { copyInto, valuesOf } from "../tf/transfer.ts";
import type { Batch } from "./batch.ts";
import { scoreOutputs } from "./output-score.ts";
import { modelLoss } from "./sequential-gemm.ts";

/**
 * The worker's step on tfjs-wasm, where relaxed SIMD (the gemm's) is missing: every weight and
 * the whole images are uploaded, src/tf/sequential.ts runs the forward and hand-derived
 * backward around the same loss as the gemm step's (core/loss, on the downloaded outputs), and
 * the gradients land in `out` in flat-layout order. Every tensor is disposed before a method
 * returns. model.ts imports this module (and so tfjs) only when it is needed.
 */
export class TfjsStep {
  readonly loss: OutputLoss;

  constructor(
    readonly layout: ModelLayout,
    readonly capacity: number,
    loss?: LossName,
  ) {
    this.loss = modelLoss(layout, loss);
  }

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
    const x = this.inputs(batch);
    if (timings) timings[TIMING.upload] += performance.now() - t0;
    const result = sequentialLossAndGrads(
      layout,
      weights,
      x,
      (outputs, gradient) => scoreOutputs(this.loss, outputs, batch, gradient),
      { dropoutMasks, lastActivation: this.loss.stepActivation },
    );
    try {
      const t1 = timings ? performance.now() : 0;
      result.grads.forEach((g, i) => {
        copyInto(g, out, layout.weights[i].offset);
      });
      if (timings) timings[TIMING.download] += performance.now() - t1;
      return result.score;
    } finally {
      tf.dispose([...weights, x, ...result.grads]);
    }
  }

  /** The last layer's outputs (Dropout the identity; before a fused activation), copied out. */
  outputs(params: Float32Array, batch: Batch): Float32Array {
    const weights = sequentialTensors(this.layout, params);
    const x = this.inputs(batch);
    const outputs = sequentialOutputs(this.layout, weights, x, this.loss.stepActivation);
    try {
      return valuesOf(outputs).slice();
    } finally {
      tf.dispose([...weights, x, outputs]);
    }
  }

  /** The batch's inputs as `[B, …input shape]`. */
  private inputs(batch: Batch): tf.Tensor {
    return tf.tensor(batch.x, [batch.capacity, ...this.layout.inputShape]);
  }
}

/** The step engine of model.ts on tfjs's wasm backend: batches of whole images. */
export async function tfjsEngine() {
  await useWasmBackend();
  return {
    allColumns: () => true,
    step: (layout: ModelLayout, capacity: number, loss?: LossName) =>
      new TfjsStep(layout, capacity, loss),
    liveTensors: () => tf.memory().numTensors,
  };
}
