import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { ArrayDataset, SparseInputs } from "../../core/data/arrays.ts";
import { DataFileError } from "../../core/data/error.ts";
import {
  arrayDatasetFromKerasArrays,
  KERAS_ARRAYS,
  sparseInputsFromScipy,
} from "../../core/data/keras-arrays.ts";
import { type NpyArray, parseNpy } from "../../core/data/npy.ts";
import { type NpzOptions, parseNpz } from "../../core/data/npz.ts";
import { pixelsToInputs } from "../../core/model/forward.ts";
import { readRequired } from "./files.ts";

type Arrays = Record<string, NpyArray | undefined>;

async function readNpz(path: string, options?: NpzOptions): Promise<Arrays> {
  return parseNpz(await readRequired(path, "NumPy .npz archive"), path, options);
}

const exists = async (path: string) => (await stat(path).catch(() => undefined)) !== undefined;

/**
 * The four arrays of a Keras-layout folder; `x_train` and `x_test` may instead be SciPy CSR
 * matrices (`x_train.npz` from `scipy.sparse.save_npz`), read as CSR inputs.
 */
async function readNpyDir(dir: string): Promise<Record<string, NpyArray | SparseInputs>> {
  const arrays: Record<string, NpyArray | SparseInputs> = {};
  for (const key of KERAS_ARRAYS) {
    const sparse = join(dir, `${key}.npz`);
    if (key.startsWith("x_") && (await exists(sparse))) {
      if (await exists(join(dir, `${key}.npy`))) {
        throw new DataFileError(dir, `holds both ${key}.npy and ${key}.npz: keep one`);
      }
      arrays[key] = sparseInputsFromScipy(await readNpz(sparse), sparse);
      continue;
    }
    const file = join(dir, `${key}.npy`);
    arrays[key] = parseNpy(
      await readRequired(
        file,
        "NumPy .npy array",
        `a Keras-layout folder holds ${KERAS_ARRAYS.map((k) => `${k}.npy`).join(", ")} (x_train and x_test may be SciPy CSR matrices, x_train.npz from scipy.sparse.save_npz)`,
      ),
      file,
    );
  }
  return arrays;
}

/** An `.npz` archive in the Keras datasets layout (`np.savez(path, x_train=…, …)`), as stored. */
export async function arraysFromNpz(path: string, options?: NpzOptions): Promise<ArrayDataset> {
  return arrayDatasetFromKerasArrays(await readNpz(path, options), path);
}

/** A folder holding `x_train.npy`, `y_train.npy`, `x_test.npy` and `y_test.npy`, as stored. */
export async function arraysFromNpyDir(dir: string): Promise<ArrayDataset> {
  return arrayDatasetFromKerasArrays(await readNpyDir(dir), dir);
}

/**
 * Keras-layout arrays for training, with whether the inputs are images: uint8 inputs (`x_train`
 * and `x_test` both `|u1`) are scaled by 1/255 as MNIST is, and a model trained on them takes
 * pixel values 0..255 when served.
 */
export interface KerasArrays {
  readonly data: ArrayDataset;
  readonly pixels: boolean;
}

/** An `.npz` file or a folder of `.npy` files (Keras layout), images scaled as MNIST. */
export async function kerasArraysForTraining(
  path: string,
  options?: NpzOptions,
): Promise<KerasArrays> {
  const arrays = path.toLowerCase().endsWith(".npz")
    ? await readNpz(path, options)
    : await readNpyDir(path);
  const { x_train: train, x_test: test } = arrays;
  const bytes = (x: NpyArray | SparseInputs | undefined): x is NpyArray =>
    x !== undefined && "dtype" in x && x.dtype === "|u1";
  const pixels = bytes(train) && bytes(test);
  if (!pixels) return { data: arrayDatasetFromKerasArrays(arrays, path), pixels };
  const scaled = (array: NpyArray): NpyArray => ({
    ...array,
    dtype: "<f4",
    data: pixelsToInputs(array.data as Uint8Array),
  });
  const data = arrayDatasetFromKerasArrays(
    { ...arrays, x_train: scaled(train), x_test: scaled(test) },
    path,
  );
  return { data, pixels };
}
