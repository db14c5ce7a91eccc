import { join } from "node:path";
import type { ArrayDataset } from "../../core/data/arrays.ts";
import { arrayDatasetFromKerasArrays, KERAS_ARRAYS } from "../../core/data/keras-arrays.ts";
import { type NpyArray, parseNpy } from "../../core/data/npy.ts";
import { type NpzOptions, parseNpz } from "../../core/data/npz.ts";
import { readRequired } from "./files.ts";

/** An `.npz` archive in the Keras datasets layout (`np.savez(path, x_train=…, …)`). */
export async function arraysFromNpz(path: string, options?: NpzOptions): Promise<ArrayDataset> {
  const bytes = await readRequired(path, "NumPy .npz archive");
  return arrayDatasetFromKerasArrays(parseNpz(bytes, path, options), path);
}

/** A folder holding `x_train.npy`, `y_train.npy`, `x_test.npy` and `y_test.npy`. */
export async function arraysFromNpyDir(dir: string): Promise<ArrayDataset> {
  const arrays: Record<string, NpyArray> = {};
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
  return arrayDatasetFromKerasArrays(arrays, dir);
}
