import type { Batch } from "./batch.ts";

/**
 * The loss that starts a step's backward pass and scores an evaluation: softmax cross-entropy
 * of the last layer's logits, row by row in float64.
 */

/**
 * Softmax cross-entropy of `logits` (`capacity × classes`) against the batch's one-hot labels,
 * weighted per row; writes dz = wᵢ·(softmax(zᵢ) − yᵢ). Returns the weighted loss and the real
 * rows whose first maximum is the label.
 */
export function softmaxCrossEntropyInto(
  logits: Float32Array,
  batch: Batch,
  dz: Float32Array,
): { loss: number; correct: number } {
  const classes = logits.length / batch.capacity;
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < batch.capacity; i++) {
    const row = softmaxRow(logits, i * classes, classes, batch.y, batch.weights[i], dz);
    loss += row.loss;
    if (batch.mask[i] > 0 && row.hit) correct++;
  }
  return { loss, correct };
}

/**
 * One row's weighted cross-entropy −w·log softmax(z)[label] (in float64), whether its argmax
 * (the first maximum) is the label, and its gradient w·(softmax(z) − y) into `dz`.
 */
function softmaxRow(
  z: Float32Array,
  at: number,
  classes: number,
  oneHot: Float32Array,
  weight: number,
  dz: Float32Array,
): { loss: number; hit: boolean } {
  let best = at;
  for (let k = at + 1; k < at + classes; k++) if (z[k] > z[best]) best = k;
  let sum = 0;
  for (let k = at; k < at + classes; k++) sum += Math.exp(z[k] - z[best]);
  const logSum = Math.log(sum);
  let loss = 0;
  let label = at;
  for (let k = at; k < at + classes; k++) {
    const logP = z[k] - z[best] - logSum;
    if (oneHot[k] > 0) label = k;
    loss -= oneHot[k] * logP;
    dz[k] = weight * (Math.exp(logP) - oneHot[k]);
  }
  return { loss: weight * loss, hit: best === label };
}
