import type { ImageSet } from "../core/dataset.ts";
import type { ParamLayout } from "../core/spec.ts";
import { tf } from "../tf/backend.ts";
import { denseLogits, weightedCrossEntropy } from "../tf/dense.ts";
import { activeInputs, createBatch, fillBatch } from "./batch.ts";
import { tensorsForBatch } from "./gradients.ts";

export interface EvalResult {
  /** Σ cross-entropy over the evaluated samples. */
  lossSum: number;
  correct: number;
  count: number;
}

/** Fixed chunk size: one compiled shape for every evaluation. */
const EVAL_CHUNK = 500;

/** Loss and accuracy of the Dense stack at `params` over all of `set`. */
export function evaluateSet(layout: ParamLayout, params: Float32Array, set: ImageSet): EvalResult {
  const px = set.rows * set.cols;
  const classes = layout.layers[layout.layers.length - 1].units;
  const batch = createBatch(EVAL_CHUNK, px, classes);
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, set.count - start);
    // Weight 1 per real sample: the sum of losses, not the mean.
    fillBatch(batch, set, order, start, n, 1);
    const tensors = tensorsForBatch(layout, params, batch);
    try {
      const [l, c] = tf.tidy(() => {
        const xt = tf.tensor2d(activeInputs(batch), [EVAL_CHUNK, batch.width]);
        const yt = tf.tensor2d(batch.y, [EVAL_CHUNK, classes]);
        const wt = tf.tensor1d(batch.weights);
        const logits = denseLogits(tensors, xt);
        const hits = tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(yt, 1)), "float32");
        return [weightedCrossEntropy(logits, yt, wt), tf.sum(tf.mul(hits, wt))];
      });
      lossSum += readScalar(l);
      correct += readScalar(c);
    } finally {
      tf.dispose([...tensors.kernels, ...tensors.biases]);
    }
  }
  return { lossSum, correct, count: set.count };
}

/** Reads a scalar and frees it. */
function readScalar(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}
