import { join } from "node:path";
import type { ArrayDataset } from "../../core/data/arrays.ts";
import { arrayDatasetFromKerasArrays, KERAS_ARRAYS } from "../../core/data/keras-arrays.ts";
import { type NpyArray, parseNpy } from "../../core/data/npy.ts";
import { type NpzOptions, parseNpz } from "../../core/data/npz.ts";
import { pixelsToInputs } from "../../core/model/forward.ts";
import { readRequired } from "./files.ts";

type Arrays = Record<string, NpyArray | undefined>;

async function readNpz(path: string, options?: NpzOptions): Promise<Arrays> {
  return parseNpz(await readRequired(path, "NumPy .npz archive"), path, options);
}

async function readNpyDir(dir: string): Promise<Arrays> {
  const arrays: Arrays = {};
  for (const key of KERAS_ARRAYS) {
    const file = join(dir, `${key}.npy`);
    arrays[key] = parseNpy(
      await readRequired(
        file,
        "NumPy .npy array",
        `a Keras-layout folder holds ${KERAS_ARRAYS.map((k) => `${k}.npy`).join(", ")}`,
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
  const pixels = arrays.x_train?.dtype === "|u1" && arrays.x_test?.dtype === "|u1";
  if (!pixels) return { data: arrayDatasetFromKerasArrays(arrays, path), pixels };
  const scaled = (array: NpyArray): NpyArray => ({
    ...array,
    dtype: "<f4",
    data: pixelsToInputs(array.data as Uint8Array),
  });
  const data = arrayDatasetFromKerasArrays(
    { ...arrays, x_train: scaled(arrays.x_train!), x_test: scaled(arrays.x_test!) },
    path,
  );
  return { data, pixels };
}
