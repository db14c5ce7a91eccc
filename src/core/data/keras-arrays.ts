import { type ArrayDataset, type Targets, targetWidth, validateArrayDataset } from "./arrays.ts";
import { DataFileError } from "./error.ts";
import type { NpyArray } from "./npy.ts";

/**
 * The Keras datasets layout (`keras.datasets.*.load_data()` saved with `np.savez`): four arrays
 * `x_train`, `y_train`, `x_test`, `y_test`. Inputs of any shape `[n, ...]` become float32 as
 * they are (no scaling); targets become class indices (an integer or bool dtype, `[n]` or
 * `[n, 1]`), one-hot rows (`[n, k]` of 0/1 with one 1 per row) or numbers (any other float
 * or 2-D array).
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

/** `x_train`… from `arrays` as a validated ArrayDataset; a missing one names those present. */
export function arrayDatasetFromKerasArrays(
  arrays: Readonly<Record<string, NpyArray | undefined>>,
  source: string,
): ArrayDataset {
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
    const y = targetsOf(arrays[`y_${name}`]!, `${source}:y_${name}`);
    const targets = y.data.length / targetWidth(y);
    if (x.shape[0] !== targets) {
      throw new DataFileError(
        source,
        `x_${name} has ${x.shape[0]} samples, y_${name} has ${targets}: arrays of different lengths`,
      );
    }
    return {
      x: { data: toFloat32(x), shape: x.shape.length === 1 ? [x.shape[0], 1] : [...x.shape] },
      y,
    };
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
