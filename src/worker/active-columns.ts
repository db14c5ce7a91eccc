/**
 * Active input columns. A pixel that is zero in every sample of a batch contributes nothing
 * to x·W1, and its row of dW1 is exactly zero; MNIST batches of 64 have ink in only ~63% of
 * the 784 pixels. The first layer is therefore computed over the batch's active columns only:
 * x and W1 are gathered to those columns/rows, dW1 is scattered back and the other rows are
 * zero. Exact: only zero terms are skipped.
 */

/** Column counts are padded to a multiple of this (with all-zero columns), so few shapes occur. */
export const COLUMN_ALIGN = 16;

/**
 * Marks the pixels nonzero in any of `n` samples (`indices[start..start+n)` into `images`),
 * writes their indices ascending into `columns`, padded with unmarked ones to a multiple of
 * COLUMN_ALIGN (at least one block), and returns the count.
 */
export function activeColumns(
  images: Uint8Array | Float32Array,
  px: number,
  indices: Int32Array,
  start: number,
  n: number,
  mark: Uint8Array,
  columns: Int32Array,
): number {
  mark.fill(0);
  for (let i = 0; i < n; i++) markNonzero(images, indices[start + i] * px, px, mark);
  return markedColumns(mark, px, columns);
}

/**
 * Writes the indices of the marked columns (of `px`) ascending into `columns`, padded with
 * unmarked ones to a multiple of COLUMN_ALIGN (at least one block), and returns the count.
 */
export function markedColumns(mark: Uint8Array, px: number, columns: Int32Array): number {
  let marked = 0;
  for (let j = 0; j < px; j++) if (mark[j]) marked++;
  const padded = Math.min(
    px,
    Math.max(COLUMN_ALIGN, Math.ceil(marked / COLUMN_ALIGN) * COLUMN_ALIGN),
  );
  // The padding is the first unmarked columns, marked too so one ascending pass lists all.
  for (let j = 0, extra = padded - marked; extra > 0; j++) {
    if (!mark[j]) {
      mark[j] = 1;
      extra--;
    }
  }
  let width = 0;
  for (let j = 0; j < px; j++) if (mark[j]) columns[width++] = j;
  return width;
}

function markNonzero(
  images: Uint8Array | Float32Array,
  from: number,
  px: number,
  mark: Uint8Array,
): void {
  for (let j = 0; j < px; j++) if (images[from + j] !== 0) mark[j] = 1;
}

/**
 * One sample's active inputs: dst[at + k] = src[from + columns[k]], pixel bytes scaled by
 * 1/255, for k < width.
 */
export function gatherInputs(
  dst: Float32Array,
  at: number,
  src: Uint8Array | Float32Array,
  from: number,
  columns: Int32Array,
  width: number,
): void {
  if (src instanceof Uint8Array) gatherScaled(dst, at, src, from, columns, width);
  else for (let k = 0; k < width; k++) dst[at + k] = src[from + columns[k]];
}

function gatherScaled(
  dst: Float32Array,
  at: number,
  src: Uint8Array,
  from: number,
  columns: Int32Array,
  width: number,
): void {
  for (let k = 0; k < width; k++) dst[at + k] = src[from + columns[k]] / 255;
}

/**
 * The runs of consecutive columns in `columns[0..width)` (ascending): `visit(k, j, n)` for
 * each maximal run `columns[k..k+n) = j, j+1, …, j+n−1`. Inked pixels come in runs along an
 * image's rows (about 28 runs for 500 columns of an MNIST batch), so a copy per run instead
 * of per row makes a few dozen calls instead of hundreds.
 */
export function forEachRun(
  columns: Int32Array,
  width: number,
  visit: (k: number, j: number, n: number) => void,
): void {
  let k = 0;
  while (k < width) {
    let end = k + 1;
    while (end < width && columns[end] === columns[end - 1] + 1) end++;
    visit(k, columns[k], end - k);
    k = end;
  }
}

/**
 * Copies the kernel rows of the columns `columns[0..width)` into `out`, one after another
 * (`"packed"`: out row k is kernel row columns[k], W1 restricted to the active rows) or each
 * in its own place (`"in place"`: out row j is kernel row j; the other rows untouched).
 */
export function gatherRows(
  flat: Float32Array,
  kernelOffset: number,
  units: number,
  columns: Int32Array,
  width: number,
  out: Float32Array,
  rows: "packed" | "in place",
): void {
  forEachRun(columns, width, (k, j, n) => {
    const row = kernelOffset + j * units;
    out.set(flat.subarray(row, row + n * units), (rows === "packed" ? k : j) * units);
  });
}

/**
 * Writes the compact gradient rows (`rows`, [width × units]) to their kernel rows in `out`
 * and zeroes every other row of the [inputs × units] kernel.
 */
export function scatterRows(
  rows: Float32Array,
  out: Float32Array,
  kernelOffset: number,
  inputs: number,
  units: number,
  columns: Int32Array,
  width: number,
): void {
  let next = 0; // the first kernel row not written yet
  forEachRun(columns, width, (k, j, n) => {
    out.fill(0, kernelOffset + next * units, kernelOffset + j * units);
    out.set(rows.subarray(k * units, (k + n) * units), kernelOffset + j * units);
    next = j + n;
  });
  out.fill(0, kernelOffset + next * units, kernelOffset + inputs * units);
}
