import type { ImageSet } from "../core/data/dataset.ts";
import { forward, pixelsToInputs } from "../core/model/forward.ts";
import { type ModelSpec, modelLayout, shapeSize } from "../core/model/sequential.ts";

/** Samples per forward pass: bounds the main thread's activations. */
const CHUNK = 256;
/** Keras clips probabilities to [ε, 1 − ε] before the log of its cross-entropy. */
const EPSILON = 1e-7;

export interface SetEvaluation {
  /** Mean categorical cross-entropy of the true class. */
  readonly loss: number;
  readonly accuracy: number;
}

/**
 * The model on `set` (the validation split), on the main thread with core's plain-TS forward
 * pass, in chunks: the workers hold only their shards of the training data. The seam the
 * run's validation metrics go through (the workers' evaluation can replace it).
 */
export function evaluateSet(spec: ModelSpec, params: Float32Array, set: ImageSet): SetEvaluation {
  const model = { layout: modelLayout(spec), params };
  const size = shapeSize(model.layout.inputShape);
  const classes = shapeSize(model.layout.outputShape);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += CHUNK) {
    const count = Math.min(CHUNK, set.count - start);
    const inputs = pixelsToInputs(set.images.subarray(start * size, (start + count) * size));
    const probabilities = forward(model, inputs, count);
    for (let b = 0; b < count; b++) {
      const row = probabilities.subarray(b * classes, (b + 1) * classes);
      const label = set.labels[start + b];
      const p = Math.min(Math.max(row[label], EPSILON), 1 - EPSILON);
      lossSum -= Math.log(p);
      let predicted = 0;
      for (let k = 1; k < classes; k++) if (row[k] > row[predicted]) predicted = k;
      if (predicted === label) correct++;
    }
  }
  return { loss: lossSum / set.count, accuracy: correct / set.count };
}
