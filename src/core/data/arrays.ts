import { checkSparseRows, type SparseRows, SparseRowsError } from "./csr.ts";
import { DataFileError } from "./error.ts";

/**
 * The array data set the trainer takes: inputs as one Float32Array of shape
 * `[n, ...sampleShape]` (or, mostly zero, as CSR rows) and targets as class indices, one-hot
 * rows or numbers. The CSV, NPZ and NPY readers produce it, and a caller may pass one directly
 * (`validateArrayDataset` checks it).
 */
export type Inputs = DenseInputs | SparseInputs;

export interface DenseInputs {
  readonly data: Float32Array;
  /** `[n, ...sampleShape]`; the product is `data.length`. */
  readonly shape: readonly number[];
}

/**
 * Mostly-zero inputs (multi-hot text, bags of words) as CSR rows, SciPy's `csr_matrix` layout:
 * sample i's nonzero inputs are `index[rowStart[i]..rowStart[i+1])`, ascending, below the
 * width, with their `value`s (left out, or every one 1, for multi-hot data). They stay rows all
 * the way to the workers: a 25,000 × 10,000 set at 1.5% is 15 MB where dense float32 is 1 GB.
 */
export interface SparseInputs {
  /** `n + 1` entry offsets: `indptr`. */
  readonly rowStart: Uint32Array | Int32Array;
  /** Each entry's input (column): `indices`. */
  readonly index: Uint32Array | Int32Array;
  /** Each entry's value (`data`); undefined: every one is 1. */
  readonly value?: Float32Array;
  /** `[n, width]`. */
  readonly shape: readonly number[];
}

export const isSparseInputs = (x: Inputs): x is SparseInputs => "rowStart" in x;

export type Targets =
  | {
      readonly kind: "classes";
      /** One class index per sample, in `[0, classes)`. */
      readonly data: Int32Array;
      readonly classes: number;
      readonly classNames?: readonly string[];
    }
  | {
      readonly kind: "one-hot";
      /** `n × classes`, each row all zeros but one 1. */
      readonly data: Float32Array;
      readonly classes: number;
      readonly classNames?: readonly string[];
    }
  | {
      readonly kind: "numbers";
      /** `n × outputs`, regression targets. */
      readonly data: Float32Array;
      readonly outputs: number;
    };

/** A split's inputs and targets; `X` narrows the inputs' form where a reader knows it. */
export interface ArraySplit<X extends Inputs = Inputs> {
  readonly x: X;
  readonly y: Targets;
}

export interface ArrayDataset<X extends Inputs = Inputs> {
  readonly train: ArraySplit<X>;
  readonly test: ArraySplit<X>;
}

/** Samples in a split. */
export const sampleCount = (split: ArraySplit): number => split.x.shape[0];

/** Numbers per target row: 1 for class indices, `classes` for one-hot rows, `outputs`. */
export function targetWidth(y: Targets): number {
  return y.kind === "numbers" ? y.outputs : y.kind === "one-hot" ? y.classes : 1;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

function checkInputs(x: unknown, name: string, fail: (message: string) => never): Inputs {
  if (x !== null && typeof x === "object" && "rowStart" in x) {
    return checkSparseInputs(x as SparseInputs, name, fail);
  }
  const inputs = x as Partial<DenseInputs> | undefined;
  if (!(inputs?.data instanceof Float32Array)) {
    fail(`${name}.x.data must be a Float32Array (or x CSR rows: rowStart, index, value, shape)`);
  }
  const { data, shape } = inputs as DenseInputs;
  if (!Array.isArray(shape) || shape.length < 2 || !shape.every(isCount)) {
    fail(`${name}.x.shape must be [n, ...sampleShape] (at least 2 non-negative integers)`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    fail(`${name}.x: shape [${shape.join(", ")}] holds ${size} values, data has ${data.length}`);
  }
  if (shape.slice(1).some((d) => d === 0)) fail(`${name}.x: a sample has no values`);
  const bad = firstNonFinite(data);
  if (bad >= 0) {
    const width = size / shape[0];
    fail(`${name}.x: sample ${Math.floor(bad / width)} holds ${data[bad]} (not a finite number)`);
  }
  return { data, shape: [...shape] };
}

const isIndexArray = (a: unknown): a is Uint32Array | Int32Array =>
  a instanceof Uint32Array || a instanceof Int32Array;

/** CSR rows of shape [n, width]: their arrays' types, then sparse.ts's checks of the rows. */
function checkSparseInputs(x: SparseInputs, name: string, fail: (m: string) => never): Inputs {
  const { rowStart, index, value, shape } = x;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every(isCount)) {
    fail(`${name}.x.shape must be [n, width] for CSR rows (2 non-negative integers)`);
  }
  for (const [field, array] of [
    ["rowStart", rowStart],
    ["index", index],
  ] as const) {
    if (!isIndexArray(array)) fail(`${name}.x.${field} must be a Uint32Array or Int32Array`);
    if (array instanceof Int32Array) {
      const negative = array.findIndex((v) => v < 0);
      if (negative >= 0) fail(`${name}.x.${field}[${negative}] is ${array[negative]} (negative)`);
    }
  }
  if (value !== undefined && !(value instanceof Float32Array)) {
    fail(`${name}.x.value must be a Float32Array, or left out when every value is 1`);
  }
  const rows = sparseRowsOf(x);
  try {
    checkSparseRows(rows, shape[0], shape[1], `${name}.x`);
  } catch (error) {
    if (error instanceof SparseRowsError) fail(`${name}.x: ${error.detail}`);
    throw error;
  }
  return { rowStart: rows.rowStart, index: rows.index, value: rows.value, shape: [...shape] };
}

/** CSR inputs as the rows a sample set holds: uint32 views, no values when every one is 1. */
export function sparseRowsOf(x: SparseInputs): SparseRows {
  const uint32 = (a: Uint32Array | Int32Array) =>
    a instanceof Uint32Array ? a : new Uint32Array(a.buffer, a.byteOffset, a.length);
  const value = x.value?.every((v) => v === 1) ? undefined : x.value;
  return { rowStart: uint32(x.rowStart), index: uint32(x.index), value };
}

function checkClassNames(
  y: { classNames?: unknown; classes: number },
  name: string,
  fail: (message: string) => never,
): void {
  const names = y.classNames;
  if (names === undefined) return;
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
    fail(`${name}.y.classNames must be an array of strings`);
  }
  if (names.length !== y.classes) {
    fail(`${name}.y.classNames has ${names.length} names for ${y.classes} classes`);
  }
}

function checkTargets(y: unknown, n: number, name: string, fail: (m: string) => never): Targets {
  const t = y as Targets | undefined; // user input: every field is checked below
  const rows = (width: number, data: ArrayLike<number>) => {
    if (data.length !== n * width) {
      fail(
        `${name}.y: expected ${n} rows of ${width} (${n * width} values) for ${n} samples, got ${data.length} values`,
      );
    }
  };
  switch (t?.kind) {
    case "classes": {
      if (!(t.data instanceof Int32Array)) fail(`${name}.y.data must be an Int32Array`);
      if (!isCount(t.classes) || t.classes < 1)
        fail(`${name}.y.classes must be a positive integer`);
      checkClassNames(t, name, fail);
      rows(1, t.data);
      const bad = t.data.findIndex((c) => c < 0 || c >= t.classes);
      if (bad >= 0) {
        fail(`${name}.y: sample ${bad} has class ${t.data[bad]}, expected 0..${t.classes - 1}`);
      }
      return t;
    }
    case "one-hot": {
      if (!(t.data instanceof Float32Array)) fail(`${name}.y.data must be a Float32Array`);
      if (!isCount(t.classes) || t.classes < 2) fail(`${name}.y.classes must be at least 2`);
      checkClassNames(t, name, fail);
      rows(t.classes, t.data);
      for (let i = 0; i < n; i++) {
        let ones = 0;
        for (let c = 0; c < t.classes; c++) {
          const v = t.data[i * t.classes + c];
          if (v === 1) ones++;
          else if (v !== 0) fail(`${name}.y: one-hot row ${i} holds ${v} (expected 0 or 1)`);
        }
        if (ones !== 1) fail(`${name}.y: one-hot row ${i} has ${ones} ones (expected exactly 1)`);
      }
      return t;
    }
    case "numbers": {
      if (!(t.data instanceof Float32Array)) fail(`${name}.y.data must be a Float32Array`);
      if (!isCount(t.outputs) || t.outputs < 1)
        fail(`${name}.y.outputs must be a positive integer`);
      rows(t.outputs, t.data);
      const bad = firstNonFinite(t.data);
      if (bad >= 0) {
        fail(`${name}.y: row ${Math.floor(bad / t.outputs)} holds ${t.data[bad]} (not finite)`);
      }
      return t;
    }
    default:
      return fail(`${name}.y.kind must be "classes", "one-hot" or "numbers"`);
  }
}

/**
 * Checks a data set given in code (or built by a reader): shapes and lengths agree, every
 * value is finite, classes are in range, train and test have the same sample shape and target
 * form. Throws a DataFileError naming `source` and the first problem.
 */
export function validateArrayDataset(value: unknown, source = "data"): ArrayDataset {
  const fail = (message: string): never => {
    throw new DataFileError(source, message);
  };
  const set = value as Partial<ArrayDataset> | undefined;
  if (!set?.train || !set.test) fail("expected { train: { x, y }, test: { x, y } }");
  const split = (name: "train" | "test"): ArraySplit => {
    const x = checkInputs(set![name]!.x, name, fail);
    return { x, y: checkTargets(set![name]!.y, x.shape[0], name, fail) };
  };
  const train = split("train");
  const test = split("test");
  if (train.x.shape[0] === 0) fail("train has no samples");
  const trainShape = train.x.shape.slice(1).join("×");
  const testShape = test.x.shape.slice(1).join("×");
  if (trainShape !== testShape) {
    fail(`test samples are ${testShape}, train samples are ${trainShape}`);
  }
  if (train.y.kind !== test.y.kind || targetWidth(train.y) !== targetWidth(test.y)) {
    fail(
      `test targets (${describeTargets(test.y)}) differ from train's (${describeTargets(train.y)})`,
    );
  }
  if (
    train.y.kind !== "numbers" &&
    test.y.kind !== "numbers" &&
    train.y.classes !== test.y.classes
  ) {
    fail(`test has ${test.y.classes} classes, train has ${train.y.classes}`);
  }
  return { train, test };
}

function describeTargets(y: Targets): string {
  if (y.kind === "numbers") return `${y.outputs} numbers`;
  return `${y.kind === "classes" ? "class indices" : "one-hot rows"} of ${y.classes} classes`;
}
