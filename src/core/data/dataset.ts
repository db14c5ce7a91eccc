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
