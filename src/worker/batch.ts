import type { ImageSet } from "../core/dataset.ts";

/**
 * A fixed-size training batch (tfjs keeps one compiled shape per size): inputs scaled to
 * [0, 1], one-hot labels, per-sample loss weights (1/B of the global batch for real rows,
 * 0 for padding) and a mask of real rows for the accuracy count.
 */
export interface Batch {
  readonly capacity: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly weights: Float32Array;
  readonly mask: Float32Array;
}

export function createBatch(capacity: number, inputSize: number, classes: number): Batch {
  return {
    capacity,
    x: new Float32Array(capacity * inputSize),
    y: new Float32Array(capacity * classes),
    weights: new Float32Array(capacity),
    mask: new Float32Array(capacity),
  };
}

/**
 * Gathers `n` samples of `set` (by `indices[start..start+n)`) into the batch; rows past `n`
 * are zero padding. `globalCount` is the global batch's size, the mean's denominator.
 */
export function fillBatch(
  batch: Batch,
  set: ImageSet,
  indices: Int32Array,
  start: number,
  n: number,
  globalCount: number,
): void {
  const px = set.rows * set.cols;
  const classes = batch.y.length / batch.capacity;
  batch.y.fill(0);
  batch.weights.fill(0);
  batch.mask.fill(0);
  if (n < batch.capacity) batch.x.fill(0, n * px);
  for (let i = 0; i < n; i++) {
    const sample = indices[start + i];
    if (sample < 0 || sample >= set.count) {
      throw new RangeError(`sample index ${sample} outside this shard's 0..${set.count - 1}`);
    }
    scaleInto(batch.x, i * px, set.images, sample * px, px);
    batch.y[i * classes + set.labels[sample]] = 1;
    batch.weights[i] = 1 / globalCount;
    batch.mask[i] = 1;
  }
}

function scaleInto(dst: Float32Array, at: number, src: Uint8Array, from: number, n: number) {
  for (let j = 0; j < n; j++) dst[at + j] = src[from + j] / 255;
}
