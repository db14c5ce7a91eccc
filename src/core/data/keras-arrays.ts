import {
  type ArrayDataset,
  type Inputs,
  type SparseInputs,
  type Targets,
  targetWidth,
  validateArrayDataset,
} from "./arrays.ts";
import { checkSparseRows, SparseRowsError } from "./csr.ts";
import { DataFileError } from "./error.ts";
import type { NpyArray } from "./npy.ts";

/**
 * The Keras datasets layout (`keras.datasets.*.load_data()` saved with `np.savez`): four arrays
 * `x_train`, `y_train`, `x_test`, `y_test`. Inputs of any shape `[n, ...]` become float32 as
 * they are (no scaling); targets become class indices (an integer or bool dtype, `[n]` or
 * `[n, 1]`), one-hot rows (`[n, k]` of 0/1 with one 1 per row) or numbers (any other float
 * or 2-D array). Mostly-zero inputs may come as SciPy CSR matrices instead (`x_train.npz` and
 * `x_test.npz` written by `scipy.sparse.save_npz`, read by `sparseInputsFromScipy`), kept as
 * rows.
 */
export const KERAS_ARRAYS = ["x_train", "y_train", "x_test", "y_test"] as const;

/** More classes than this is taken for a mistake (class ids, not indices) rather than allocated. */
const MAX_CLASSES = 65536;

const isInteger = (dtype: string) => /[uib]\d$/.test(dtype);

function toFloat32(array: NpyArray): Float32Array {
  if (array.data instanceof Float32Array) return array.data;
  const out = new Float32Array(array.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(array.data[i]);
  return out;
}

function isOneHot(values: Float32Array, width: number): boolean {
  for (let at = 0; at < values.length; at += width) {
    let ones = 0;
    for (let c = at; c < at + width; c++) {
      if (values[c] === 1) ones++;
      else if (values[c] !== 0) return false;
    }
    if (ones !== 1) return false;
  }
  return true;
}

/** Class indices of an integer label array, checked non-negative and below MAX_CLASSES. */
function classIndices(array: NpyArray, name: string): Int32Array {
  const out = new Int32Array(array.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(array.data[i]);
    if (v < 0 || v >= MAX_CLASSES) {
      throw new DataFileError(
        name,
        `label ${i} is ${v}: class indices must be in 0..${MAX_CLASSES - 1}`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** The members `scipy.sparse.save_npz` writes for a CSR matrix. */
export const SCIPY_CSR_ARRAYS = ["indptr", "indices", "data", "shape", "format"] as const;

/** Whether an archive's arrays are one `scipy.sparse.save_npz` matrix (any format). */
export const isScipySparse = (arrays: Readonly<Record<string, unknown>>): boolean =>
  arrays.format !== undefined && arrays.shape !== undefined && arrays.data !== undefined;

/** Whole numbers of an integer array, each checked in [0, 2^32) (SciPy writes int32 or int64). */
function offsets(array: NpyArray, name: string, source: string): Uint32Array {
  if (!isInteger(array.dtype) || array.shape.length !== 1) {
    throw new DataFileError(
      source,
      `${name} must be a 1-D integer array, got '${array.dtype}' of shape (${array.shape.join(", ")})`,
    );
  }
  if (array.data instanceof Uint32Array) return array.data;
  const out = new Uint32Array(array.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(array.data[i]);
    if (v < 0 || v >= 2 ** 32) {
      throw new DataFileError(source, `${name}[${i}] is ${v}, expected 0..2^32-1`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * A SciPy CSR matrix as `scipy.sparse.save_npz` saved it (members indptr, indices, data, shape,
 * format = b"csr") as CSR inputs; other formats (csc, coo, bsr, dia) are refused by name.
 */
export function sparseInputsFromScipy(
  arrays: Readonly<Record<string, NpyArray | undefined>>,
  source: string,
): SparseInputs {
  const missing = SCIPY_CSR_ARRAYS.filter((key) => !arrays[key]);
  const format = arrays.format;
  if (format) {
    const name = new TextDecoder("latin1").decode(format.data as Uint8Array).replace(/\0+$/, "");
    if (!format.dtype.startsWith("|S") || name !== "csr") {
      throw new DataFileError(
        source,
        `a SciPy '${name}' sparse matrix: only CSR is read; save it with scipy.sparse.save_npz(path, m.tocsr())`,
      );
    }
  }
  if (missing.length > 0) {
    throw new DataFileError(
      source,
      `missing ${missing.join(", ")}: expected a SciPy CSR matrix as scipy.sparse.save_npz writes it (${SCIPY_CSR_ARRAYS.join(", ")})`,
    );
  }
  const shape = Array.from(offsets(arrays.shape!, "shape", source));
  if (shape.length !== 2) {
    throw new DataFileError(source, `shape has ${shape.length} dimensions, expected 2`);
  }
  const rows = {
    rowStart: offsets(arrays.indptr!, "indptr", source),
    index: offsets(arrays.indices!, "indices", source),
    value: toFloat32(arrays.data!),
  };
  try {
    checkSparseRows(rows, shape[0], shape[1], source);
  } catch (error) {
    if (!(error instanceof SparseRowsError)) throw error;
    const unsorted = error.detail.includes("must ascend");
    const hint = unsorted
      ? ": call m.sum_duplicates() (which sorts the indices) before saving"
      : "";
    throw new DataFileError(source, `${error.detail.replace(/^sample/, "row")}${hint}`);
  }
  return { ...rows, shape };
}

function targetsOf(array: NpyArray, name: string): Targets {
  const [n, width = 1, ...rest] = array.shape;
  if (array.shape.length === 0 || rest.length > 0) {
    throw new DataFileError(
      name,
      `targets must be [n] or [n, k], got shape (${array.shape.join(", ")})`,
    );
  }
  if (width === 1 && isInteger(array.dtype)) {
    const data = classIndices(array, name);
    return { kind: "classes", data, classes: data.reduce((a, b) => Math.max(a, b + 1), 0) };
  }
  const values = toFloat32(array);
  if (width > 1 && n > 0 && isOneHot(values, width)) {
    return { kind: "one-hot", data: values, classes: width };
  }
  return { kind: "numbers", data: values, outputs: width };
}

/**
 * `x_train`… from `arrays` as a validated ArrayDataset (the inputs as arrays, or as CSR inputs
 * read from SciPy files); a missing one names those present.
 */
export function arrayDatasetFromKerasArrays(
  arrays: Readonly<Record<string, NpyArray | SparseInputs | undefined>>,
  source: string,
): ArrayDataset {
  if (isScipySparse(arrays)) {
    throw new DataFileError(
      source,
      "holds one SciPy sparse matrix (scipy.sparse.save_npz), not a data set: put it in a folder as x_train.npz (and x_test.npz) beside y_train.npy and y_test.npy",
    );
  }
  const missing = KERAS_ARRAYS.filter((key) => !arrays[key]);
  if (missing.length > 0) {
    const present = Object.keys(arrays);
    throw new DataFileError(
      source,
      `missing ${missing.join(", ")}: expected arrays ${KERAS_ARRAYS.join(", ")} (the Keras datasets layout), found ${present.length ? present.join(", ") : "none"}`,
    );
  }
  const split = (name: "train" | "test") => {
    const x = arrays[`x_${name}`]!;
    const labels = arrays[`y_${name}`]!;
    if (!("dtype" in labels)) {
      throw new DataFileError(
        source,
        `y_${name} is a sparse matrix: targets must be an .npy array`,
      );
    }
    for (const [key, array] of [
      [`x_${name}`, x],
      [`y_${name}`, labels],
    ] as const) {
      if ("dtype" in array && array.dtype.startsWith("|S")) {
        throw new DataFileError(
          source,
          `${key} holds byte strings ('${array.dtype}'), not numbers`,
        );
      }
    }
    const y = targetsOf(labels, `${source}:y_${name}`);
    const targets = y.data.length / targetWidth(y);
    if (x.shape[0] !== targets) {
      throw new DataFileError(
        source,
        `x_${name} has ${x.shape[0]} samples, y_${name} has ${targets}: arrays of different lengths`,
      );
    }
    const inputs: Inputs =
      "dtype" in x
        ? { data: toFloat32(x), shape: x.shape.length === 1 ? [x.shape[0], 1] : [...x.shape] }
        : x;
    return { x: inputs, y };
  };
  const train = split("train");
  const test = split("test");
  // A test set need not hold every class: both splits count the classes either one has.
  if (train.y.kind === "classes" && test.y.kind === "classes") {
    const classes = Math.max(train.y.classes, test.y.classes);
    train.y = { ...train.y, classes };
    test.y = { ...test.y, classes };
  }
  return validateArrayDataset({ train, test }, source);
}
