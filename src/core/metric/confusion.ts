/**
 * Evaluation summaries of a classifier on a labelled set: the confusion matrix, accuracy per
 * class and the mistakes it was most sure of. Plain arrays so they serialise into events and
 * `model.json` as they are.
 */

/** Each evaluated sample's predicted class and the probability the model gave it. */
export interface Predictions {
  readonly predicted: Uint8Array;
  readonly confidence: Float32Array;
}

/** `matrix[trueLabel][predictedLabel]` = number of samples. */
export type ConfusionMatrix = number[][];

export interface ClassAccuracy {
  readonly label: number;
  readonly correct: number;
  readonly count: number;
  /** `correct / count`, or null for a class with no samples. */
  readonly accuracy: number | null;
}

export interface Mistake {
  /** Index of the sample in the evaluated set. */
  readonly index: number;
  readonly label: number;
  readonly predicted: number;
  /** The probability the model gave its (wrong) prediction. */
  readonly confidence: number;
}

function checkLabel(what: string, i: number, value: number, classes: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= classes) {
    throw new RangeError(`${what}[${i}]: expected an integer in 0..${classes - 1}, got ${value}`);
  }
}

export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): ConfusionMatrix {
  if (labels.length !== predicted.length) {
    throw new RangeError(
      `confusionMatrix: ${labels.length} labels but ${predicted.length} predictions`,
    );
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    checkLabel("labels", i, labels[i], classes);
    checkLabel("predicted", i, predicted[i], classes);
    matrix[labels[i]][predicted[i]]++;
  }
  return matrix;
}

export function perClassAccuracy(matrix: ConfusionMatrix): ClassAccuracy[] {
  return matrix.map((row, label) => {
    if (row.length !== matrix.length) {
      throw new RangeError(
        `confusion matrix row ${label}: expected ${matrix.length} cells, got ${row.length}`,
      );
    }
    const count = row.reduce((a, b) => a + b, 0);
    const correct = row[label];
    return { label, correct, count, accuracy: count > 0 ? correct / count : null };
  });
}

/** Total samples and correct predictions (the diagonal) of a confusion matrix. */
export function matrixTotals(matrix: ConfusionMatrix): { count: number; correct: number } {
  let count = 0;
  let correct = 0;
  matrix.forEach((row, t) => {
    for (const n of row) count += n;
    correct += row[t];
  });
  return { count, correct };
}

/**
 * The `k` wrong predictions with the highest confidence, most confident first (ties: lower
 * index first). `probabilities` holds one row of `classes` values per sample; the prediction
 * is each row's argmax.
 */
export function mostConfidentMistakes(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classes: number,
  k: number,
): Mistake[] {
  if (probabilities.length !== labels.length * classes) {
    throw new RangeError(
      `mostConfidentMistakes: expected ${labels.length} × ${classes} probabilities, got ${probabilities.length}`,
    );
  }
  const predicted = new Int32Array(labels.length);
  const confidence = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const row = i * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities[row + c] > probabilities[row + best]) best = c;
    }
    predicted[i] = best;
    confidence[i] = probabilities[row + best];
  }
  return confidentMistakes(labels, predicted, confidence, classes, k);
}

/**
 * The same from each sample's prediction and its probability (what a worker's evaluation
 * returns). Keeps only `k` candidates, so it costs O(samples · k) time and O(k) memory.
 */
export function confidentMistakes(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  confidence: ArrayLike<number>,
  classes: number,
  k: number,
): Mistake[] {
  if (predicted.length !== labels.length || confidence.length !== labels.length) {
    throw new RangeError(
      `confidentMistakes: ${labels.length} labels but ${predicted.length} predictions and ${confidence.length} confidences`,
    );
  }
  const best: Mistake[] = [];
  for (let i = 0; i < labels.length; i++) {
    checkLabel("labels", i, labels[i], classes);
    checkLabel("predicted", i, predicted[i], classes);
    if (predicted[i] === labels[i]) continue;
    const c = confidence[i];
    if (best.length === k && c <= best[k - 1].confidence) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].confidence < c) at--;
    best.splice(at, 0, { index: i, label: labels[i], predicted: predicted[i], confidence: c });
    if (best.length > k) best.pop();
  }
  return best;
}
