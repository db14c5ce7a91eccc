import { type SampleSet, sampleSize } from "../core/data/dataset.ts";
import { activeColumns, gatherInputs } from "./active-columns.ts";

/**
 * A fixed-capacity batch: the inputs of its active columns only (see active-columns.ts), or
 * of every column for models without a Dense on the raw input (a conv needs whole images),
 * pixels scaled to [0, 1]; target rows of the output's width (a class index becomes a one-hot
 * row, or with one output unit its 0/1 value); per-sample loss weights (1/B of the global batch for real
 * rows, 0 for padding) and a mask of real rows for the accuracy count.
 */
export interface Batch {
  readonly capacity: number;
  /** Inputs of the active columns, [capacity × width] row-major (padding rows zero). */
  readonly x: Float32Array;
  /** The active input columns, ascending; the first `width` entries are valid. */
  readonly columns: Int32Array;
  width: number;
  readonly y: Float32Array;
  readonly weights: Float32Array;
  readonly mask: Float32Array;
  /** Scratch: which columns are active. */
  readonly mark: Uint8Array;
  /** Every column is always active (`columns` is 0, 1, …). */
  readonly allColumns: boolean;
  /** The shard index of each row's sample (−1 for padding). */
  readonly samples: Int32Array;
}

export function createBatch(
  capacity: number,
  inputSize: number,
  /** The model's output width. */
  classes: number,
  allColumns = false,
): Batch {
  return {
    capacity,
    x: new Float32Array(capacity * inputSize),
    columns: allColumns
      ? Int32Array.from({ length: inputSize }, (_, j) => j)
      : new Int32Array(inputSize),
    width: inputSize,
    allColumns,
    samples: new Int32Array(capacity),
    y: new Float32Array(capacity * classes),
    weights: new Float32Array(capacity),
    mask: new Float32Array(capacity),
    mark: new Uint8Array(inputSize),
  };
}

/** The batch's active inputs as a [capacity × width] view. */
export function activeInputs(batch: Batch): Float32Array {
  return batch.x.subarray(0, batch.capacity * batch.width);
}

/**
 * Gathers `n` samples of `set` (by `indices[start..start+n)`) into the batch; rows past `n`
 * are zero padding. `globalCount` is the global batch's size, the mean's denominator.
 */
export function fillBatch(
  batch: Batch,
  set: SampleSet,
  indices: Int32Array,
  start: number,
  n: number,
  globalCount: number,
): void {
  const px = sampleSize(set);
  const units = batch.y.length / batch.capacity;
  for (let i = 0; i < n; i++) {
    const sample = indices[start + i];
    if (sample < 0 || sample >= set.count) {
      throw new RangeError(`sample index ${sample} outside this shard's 0..${set.count - 1}`);
    }
  }
  const width = batch.allColumns
    ? px
    : activeColumns(set.x, px, indices, start, n, batch.mark, batch.columns);
  batch.width = width;
  batch.y.fill(0);
  batch.weights.fill(0);
  batch.mask.fill(0);
  batch.samples.fill(-1);
  batch.x.fill(0, n * width, batch.capacity * width);
  for (let i = 0; i < n; i++) {
    const sample = indices[start + i];
    gatherInputs(batch.x, i * width, set.x, sample * px, batch.columns, width);
    targetRowInto(batch.y, i, units, set, sample);
    batch.weights[i] = 1 / globalCount;
    batch.mask[i] = 1;
    batch.samples[i] = sample;
  }
}

/** Row `i` of `y` (`units` wide): the sample's target row, or its class as a one-hot row. */
function targetRowInto(
  y: Float32Array,
  i: number,
  units: number,
  set: SampleSet,
  sample: number,
): void {
  const t = set.y;
  if (t.kind === "rows") {
    y.set(t.data.subarray(sample * units, (sample + 1) * units), i * units);
  } else if (units === 1) {
    y[i] = t.labels[sample];
  } else {
    y[i * units + t.labels[sample]] = 1;
  }
}
