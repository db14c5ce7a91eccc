import { writeFile } from "node:fs/promises";
import { zipSync } from "fflate";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { type ImageSet, sliceSet } from "../../src/core/data/dataset.ts";
import { encodeNpy, type NpyArray } from "../../src/core/data/npy.ts";

/** A `.npz` as `np.savez` writes it: a zip of `NAME.npy` members (stored, or deflated). */
export function npzBytes(arrays: Record<string, NpyArray>, compressed = false): Uint8Array {
  const level = compressed ? 6 : 0;
  return zipSync(
    Object.fromEntries(
      Object.entries(arrays).map(([name, array]) => [`${name}.npy`, [encodeNpy(array), { level }]]),
    ),
  );
}

const images = (set: ImageSet): NpyArray => ({
  dtype: "|u1",
  shape: [set.count, set.rows, set.cols],
  data: set.images,
});
const labels = (set: ImageSet): NpyArray => ({
  dtype: "|u1",
  shape: [set.count],
  data: set.labels,
});

/**
 * MNIST from the IDX files as Keras's `mnist.npz` holds it (`keras.datasets.mnist.load_data()`):
 * uint8 images [n, 28, 28] and uint8 labels [n]; the first `limits` samples when given.
 */
export async function writeMnistNpz(
  path: string,
  limits?: { train: number; test: number },
): Promise<void> {
  const full = await loadIdxDataset();
  const train = limits ? sliceSet(full.train, 0, limits.train) : full.train;
  const test = limits ? sliceSet(full.test, 0, limits.test) : full.test;
  await writeFile(
    path,
    npzBytes({
      x_train: images(train),
      y_train: labels(train),
      x_test: images(test),
      y_test: labels(test),
    }),
  );
}
