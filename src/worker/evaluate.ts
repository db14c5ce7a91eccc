import type { ImageSet } from "../core/dataset.ts";
import type { ParamLayout } from "../core/spec.ts";
import { tf } from "../tf/backend.ts";
import { denseLogits, weightedCrossEntropy } from "../tf/dense.ts";
import { activeInputs, createBatch, fillBatch } from "./batch.ts";
import { tensorsForBatch } from "./gradients.ts";

/** Each evaluated sample's predicted class and the probability the model gave it. */
export interface Predictions {
  readonly predicted: Uint8Array;
  readonly confidence: Float32Array;
}

export interface EvalResult {
  /** Σ cross-entropy over the evaluated samples. */
  lossSum: number;
  correct: number;
  count: number;
  /** Per sample, in the set's order; only when asked for (the confusion matrix needs them). */
  predictions?: Predictions;
}

export interface EvalOptions {
  readonly predictions?: boolean;
}

/** Fixed chunk size: one compiled shape for every evaluation. */
const EVAL_CHUNK = 500;

/** Loss and accuracy of the Dense stack at `params` over all of `set`. */
export function evaluateSet(
  layout: ParamLayout,
  params: Float32Array,
  set: ImageSet,
  options: EvalOptions = {},
): EvalResult {
  const px = set.rows * set.cols;
  const classes = layout.layers[layout.layers.length - 1].units;
  const batch = createBatch(EVAL_CHUNK, px, classes);
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  const predictions = options.predictions
    ? { predicted: new Uint8Array(set.count), confidence: new Float32Array(set.count) }
    : undefined;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, set.count - start);
    // Weight 1 per real sample: the sum of losses, not the mean.
    fillBatch(batch, set, order, start, n, 1);
    const tensors = tensorsForBatch(layout, params, batch);
    try {
      const [l, c, p, q] = tf.tidy(() => {
        const xt = tf.tensor2d(activeInputs(batch), [EVAL_CHUNK, batch.width]);
        const yt = tf.tensor2d(batch.y, [EVAL_CHUNK, classes]);
        const wt = tf.tensor1d(batch.weights);
        const logits = denseLogits(tensors, xt);
        const predicted = tf.argMax(logits, 1);
        const hits = tf.cast(tf.equal(predicted, tf.argMax(yt, 1)), "float32");
        const loss = weightedCrossEntropy(logits, yt, wt);
        const hitSum = tf.sum(tf.mul(hits, wt));
        if (!predictions) return [loss, hitSum];
        return [loss, hitSum, predicted, tf.max(tf.softmax(logits), 1)];
      });
      lossSum += readScalar(l);
      correct += readScalar(c);
      if (predictions && p && q) {
        predictions.predicted.set(readVector(p).subarray(0, n), start);
        predictions.confidence.set(readVector(q).subarray(0, n), start);
      }
    } finally {
      tf.dispose([...tensors.kernels, ...tensors.biases]);
    }
  }
  return { lossSum, correct, count: set.count, ...(predictions ? { predictions } : {}) };
}

/** Reads a scalar and frees it. */
function readScalar(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** Reads a vector and frees it. */
function readVector(t: tf.Tensor): Float32Array | Int32Array | Uint8Array {
  const v = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  t.dispose();
  return v;
}
