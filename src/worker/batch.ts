import type { SparseRows } from "../core/data/csr.ts";
import {
  isSparseRows,
  type SampleSet,
  type SampleTargets,
  sampleSize,
} from "../core/data/dataset.ts";
import { gatherInputs, markedColumns } from "./active-columns.ts";
import { type CsrRows, type InputForm, sparseIsCheaper } from "./sparse-input.ts";

/**
 * A fixed-capacity batch: the inputs of its active columns only (see active-columns.ts), or
 * of every column for models without a Dense on the raw input (a conv needs whole images),
 * pixels scaled to [0, 1] — or, where that is cheaper for the first layer, its nonzero inputs
 * as CSR rows over the active columns (sparse-input.ts); target rows of the output's width (a
 * class index becomes a one-hot row, or with one output unit its 0/1 value); per-sample loss
 * weights (1/B of the global batch for real rows, 0 for padding) and a mask of real rows.
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
  /** This batch's inputs are `rows`, not `x`. Never with `allColumns`. */
  sparse: boolean;
  /**
   * The nonzero inputs of the batch's samples, each by its input column (padding rows empty);
   * grows as needed.
   */
  rows: CsrRows;
  /** Each input's position in `columns` (scratch, valid for the active ones). */
  readonly slot: Int32Array;
  /** Whether `sparse` is chosen per batch or forced. */
  readonly form: InputForm;
}

export function createBatch(
  capacity: number,
  inputSize: number,
  /** The model's output width. */
  classes: number,
  allColumns = false,
  form: InputForm = "auto",
): Batch {
  if (allColumns && form === "sparse") {
    throw new Error("createBatch: a batch of every input column cannot be sparse");
  }
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
    sparse: false,
    rows: csrRows(capacity, capacity * Math.min(inputSize, 64)),
    slot: new Int32Array(inputSize),
    form,
  };
}

function csrRows(capacity: number, entries: number): CsrRows {
  return {
    rowStart: new Int32Array(capacity + 1),
    index: new Int32Array(entries),
    value: new Float32Array(entries),
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
  const units = batch.y.length / batch.capacity;
  for (let i = 0; i < n; i++) {
    const sample = indices[start + i];
    if (sample < 0 || sample >= set.count) {
      throw new RangeError(`sample index ${sample} outside this shard's 0..${set.count - 1}`);
    }
  }
  batch.y.fill(0);
  batch.weights.fill(0);
  batch.mask.fill(0);
  batch.samples.fill(-1);
  if (batch.allColumns) fillEveryColumn(batch, set, indices, start, n);
  else fillActiveColumns(batch, set, indices, start, n);
  for (let i = 0; i < n; i++) {
    const sample = indices[start + i];
    targetRowInto(batch.y, i, units, set.y, sample);
    batch.weights[i] = 1 / globalCount;
    batch.mask[i] = 1;
    batch.samples[i] = sample;
  }
}

function fillEveryColumn(
  batch: Batch,
  set: SampleSet,
  indices: Int32Array,
  start: number,
  n: number,
): void {
  const { x } = set;
  if (isSparseRows(x)) {
    fillActiveColumns(batch, set, indices, start, n);
    return;
  }
  const px = sampleSize(set);
  batch.width = px;
  batch.x.fill(0, n * px, batch.capacity * px);
  for (let i = 0; i < n; i++) {
    gatherInputs(batch.x, i * px, x, indices[start + i] * px, batch.columns, px);
  }
}

/**
 * The samples' nonzero inputs as CSR rows, the columns any of them marks, then either those
 * rows or the dense block they make over the columns. A batch of every column (`allColumns`)
 * is never sparse: its block spans them all.
 */
function fillActiveColumns(
  batch: Batch,
  set: SampleSet,
  indices: Int32Array,
  start: number,
  n: number,
): void {
  const width = sampleSize(set);
  const { x } = set;
  batch.mark.fill(0);
  let count = 0;
  if (isSparseRows(x)) count = appendRows(batch, x, indices, start, n);
  else {
    for (let i = 0; i < n; i++) {
      batch.rows.rowStart[i] = count;
      count = appendNonzero(batch, x, indices[start + i] * width, width, count);
    }
  }
  for (let i = n; i <= batch.capacity; i++) batch.rows.rowStart[i] = count;
  batch.width = batch.allColumns ? width : markedColumns(batch.mark, width, batch.columns);
  batch.sparse =
    !batch.allColumns &&
    (batch.form === "sparse" ||
      (batch.form === "auto" && sparseIsCheaper(count, batch.capacity, batch.width)));
  if (!batch.sparse) denseFromRows(batch);
}

/**
 * Appends the stored inputs of samples `indices[start..start+n)`, marks them and sets the
 * batch's first `n` row starts; returns the entries' count. One loop for the whole batch (it
 * runs every step): per-sample calls and a value loop beside it cost more here.
 */
function appendRows(
  batch: Batch,
  x: SparseRows,
  indices: Int32Array,
  start: number,
  n: number,
): number {
  let entries = 0;
  for (let i = 0; i < n; i++) {
    const sample = indices[start + i];
    entries += x.rowStart[sample + 1] - x.rowStart[sample];
  }
  if (batch.rows.index.length < entries) growRows(batch, entries);
  const { rowStart, index, value } = batch.rows;
  const { mark } = batch;
  const source = x.index;
  const values = x.value;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const sample = indices[start + i];
    const from = x.rowStart[sample];
    const to = x.rowStart[sample + 1];
    rowStart[i] = count;
    for (let e = from; e < to; e++) {
      const j = source[e];
      index[count] = j;
      mark[j] = 1;
      if (values) value[count] = values[e];
      count++;
    }
  }
  if (!values) value.fill(1, 0, count);
  return count;
}

/**
 * Appends the nonzero inputs of `x[from..from+width)` (pixel bytes scaled to [0, 1], or values)
 * and marks them.
 */
function appendNonzero(
  batch: Batch,
  x: Uint8Array | Float32Array,
  from: number,
  width: number,
  count: number,
): number {
  if (batch.rows.index.length < count + width) growRows(batch, count + width);
  const { index, value } = batch.rows;
  const mark = batch.mark;
  const scale = x instanceof Uint8Array ? 255 : 1;
  let at = count;
  for (let j = 0; j < width; j++) {
    const v = x[from + j];
    if (v === 0) continue;
    index[at] = j;
    value[at++] = v / scale;
    mark[j] = 1;
  }
  return at;
}

/** Room for at least `entries` entries, the first ones kept. */
function growRows(batch: Batch, entries: number): void {
  const old = batch.rows;
  const rows = csrRows(batch.capacity, Math.max(entries, 2 * old.index.length));
  rows.rowStart.set(old.rowStart);
  rows.index.set(old.index);
  rows.value.set(old.value);
  batch.rows = rows;
}

/** x = the rows as a dense capacity × width block over the batch's columns. */
function denseFromRows(batch: Batch): void {
  const { x, width, capacity, columns, slot } = batch;
  const { rowStart, index, value } = batch.rows;
  for (let k = 0; k < width; k++) slot[columns[k]] = k;
  x.fill(0, 0, capacity * width);
  for (let i = 0; i < capacity; i++) {
    const at = i * width;
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) x[at + slot[index[e]]] = value[e];
  }
}

/** Row `i` of `y` (`units` wide): the sample's target row, or its class as a one-hot row. */
function targetRowInto(
  y: Float32Array,
  i: number,
  units: number,
  t: SampleTargets,
  sample: number,
): void {
  if (t.kind === "rows") {
    y.set(t.data.subarray(sample * units, (sample + 1) * units), i * units);
  } else if (units === 1) {
    y[i] = t.labels[sample];
  } else {
    y[i * units + t.labels[sample]] = 1;
  }
}
