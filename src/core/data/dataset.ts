import { type ArraySplit, isSparseInputs, sparseRowsOf } from "./arrays.ts";
import type { SparseRows } from "./csr.ts";
import { IdxError, readIdx } from "./idx.ts";

/** Labelled images, pixels kept as bytes (0 = background, 255 = ink) until a worker scales them. */
export interface ImageSet {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** `count × rows × cols` bytes, row-major. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

export interface Dataset {
  readonly train: ImageSet;
  readonly test: ImageSet;
}

/** The four standard MNIST file names (each may also be present as `NAME.gz`). */
export const IDX_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** Validates an images file against its labels file and builds an ImageSet. */
export async function imageSetFromIdx(
  images: { bytes: Uint8Array; file: string },
  labels: { bytes: Uint8Array; file: string },
  classes = 10,
): Promise<ImageSet> {
  const img = await readIdx(images.bytes, images.file, 3);
  const lab = await readIdx(labels.bytes, labels.file, 1);
  const [count, rows, cols] = img.dims;
  if (lab.dims[0] !== count) {
    throw new IdxError(
      labels.file,
      `label count does not match ${images.file}: expected ${count} labels, got ${lab.dims[0]}`,
    );
  }
  for (let i = 0; i < lab.data.length; i++) {
    if (lab.data[i] >= classes) {
      throw new IdxError(
        labels.file,
        `label ${i} is ${lab.data[i]}, expected a class in 0..${classes - 1}`,
      );
    }
  }
  return { count, rows, cols, images: img.data, labels: lab.data };
}

/** The samples `[start, end)` of a set, as views. */
export function sliceSet(set: ImageSet, start: number, end: number): ImageSet {
  const px = set.rows * set.cols;
  return {
    count: end - start,
    rows: set.rows,
    cols: set.cols,
    images: set.images.subarray(start * px, end * px),
    labels: set.labels.subarray(start, end),
  };
}

/**
 * What training reads, whatever produced it (MNIST's IDX files, arrays a program made, a CSV
 * or NPZ file): `count` samples of `sampleShape` inputs and their targets. Images keep their
 * pixel bytes, which the batch scales by 1/255 as it gathers them (a quarter of the memory
 * and of the shard bytes of float32 inputs); other inputs are float32 as given, or CSR rows
 * for mostly-zero ones (multi-hot text, bags of words).
 */
export interface SampleSet {
  readonly count: number;
  /** Per-sample input shape, e.g. [28, 28] or [13]; a CSR row indexes the flattened sample. */
  readonly sampleShape: readonly number[];
  /**
   * `count × size` inputs, row-major: pixel bytes (scaled by 1/255 on use) or values; or the
   * nonzero inputs as CSR rows (values as the model takes them, no scaling).
   */
  readonly x: Uint8Array | Float32Array | SparseRows;
  readonly y: SampleTargets;
}

export const isSparseRows = (x: SampleSet["x"]): x is SparseRows => "rowStart" in x;

/** Bytes the set's inputs and targets take as held (CSR rows as their three arrays). */
export function sampleBytes(set: SampleSet): number {
  const { x, y } = set;
  const inputs = isSparseRows(x)
    ? x.rowStart.byteLength + x.index.byteLength + (x.value?.byteLength ?? 0)
    : x.byteLength;
  return inputs + (y.kind === "classes" ? y.labels.byteLength : y.data.byteLength);
}

/**
 * Samples `[start, start + count)`'s inputs as a dense float32 block (pixels scaled by 1/255):
 * for a forward pass over a bounded chunk, so CSR data is never densified whole.
 */
export function denseInputs(set: SampleSet, start: number, count: number): Float32Array {
  const size = sampleSize(set);
  const { x } = set;
  if (x instanceof Float32Array) return x.subarray(start * size, (start + count) * size);
  const out = new Float32Array(count * size);
  if (x instanceof Uint8Array) {
    for (let i = 0; i < out.length; i++) out[i] = x[start * size + i] / 255;
    return out;
  }
  for (let r = 0; r < count; r++) {
    for (let e = x.rowStart[start + r]; e < x.rowStart[start + r + 1]; e++) {
      out[r * size + x.index[e]] = x.value ? x.value[e] : 1;
    }
  }
  return out;
}

export type SampleTargets =
  /** One class index per sample, in [0, classes). */
  | { readonly kind: "classes"; readonly labels: Uint8Array | Int32Array; readonly classes: number }
  /** One row of `width` values per sample: one-hot rows (`oneHot`), or numbers. */
  | {
      readonly kind: "rows";
      readonly data: Float32Array;
      readonly width: number;
      readonly oneHot: boolean;
    };

export interface SampleData {
  readonly train: SampleSet;
  readonly test: SampleSet;
}

/** Values per sample. */
export const sampleSize = (set: SampleSet): number => set.sampleShape.reduce((a, b) => a * b, 1);

/** Values per target row: 1 for class indices, else the rows' width. */
export const targetsWidth = (y: SampleTargets): number => (y.kind === "classes" ? 1 : y.width);

/** An image set as samples: its pixel bytes and its 10 digit classes (or `classes`). */
export function samplesFromImages(set: ImageSet, classes = 10): SampleSet {
  return {
    count: set.count,
    sampleShape: [set.rows, set.cols],
    x: set.images,
    y: { kind: "classes", labels: set.labels, classes },
  };
}

/**
 * An array data set's split as samples: class indices stay indices, one-hot rows and numbers
 * are rows.
 */
export function samplesFromArrays(split: ArraySplit): SampleSet {
  const { x, y } = split;
  const targets: SampleTargets =
    y.kind === "classes"
      ? { kind: "classes", labels: y.data, classes: y.classes }
      : y.kind === "one-hot"
        ? { kind: "rows", data: y.data, width: y.classes, oneHot: true }
        : { kind: "rows", data: y.data, width: y.outputs, oneHot: false };
  const inputs = isSparseInputs(x) ? sparseRowsOf(x) : x.data;
  return { count: x.shape[0], sampleShape: x.shape.slice(1), x: inputs, y: targets };
}

/**
 * The samples `[start, end)` of a set, as views (CSR rows: a rebased copy of their row starts,
 * 4 bytes a sample, and views of their entries).
 */
export function sliceSamples(set: SampleSet, start: number, end: number): SampleSet {
  const width = targetsWidth(set.y);
  const y: SampleTargets =
    set.y.kind === "classes"
      ? { ...set.y, labels: set.y.labels.subarray(start, end) }
      : { ...set.y, data: set.y.data.subarray(start * width, end * width) };
  return { ...set, count: end - start, x: sliceInputs(set, start, end), y };
}

function sliceInputs(set: SampleSet, start: number, end: number): SampleSet["x"] {
  const { x } = set;
  if (!isSparseRows(x)) {
    const size = sampleSize(set);
    return x.subarray(start * size, end * size);
  }
  const [from, to] = [x.rowStart[start], x.rowStart[end]];
  return {
    rowStart: x.rowStart.slice(start, end + 1).map((at) => at - from),
    index: x.index.subarray(from, to),
    value: x.value?.subarray(from, to),
  };
}
