import { DataFileError } from "./error.ts";

/**
 * The array data set the trainer takes: inputs as one Float32Array of shape
 * `[n, ...sampleShape]` and targets as class indices, one-hot rows or numbers. The CSV, NPZ and
 * NPY readers produce it, and a caller may pass one directly (`validateArrayDataset` checks it).
 */
export interface Inputs {
  readonly data: Float32Array;
  /** `[n, ...sampleShape]`; the product is `data.length`. */
  readonly shape: readonly number[];
}

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

export interface ArraySplit {
  readonly x: Inputs;
  readonly y: Targets;
}

export interface ArrayDataset {
  readonly train: ArraySplit;
  readonly test: ArraySplit;
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
  const inputs = x as Partial<Inputs> | undefined;
  if (!(inputs?.data instanceof Float32Array)) {
    fail(`${name}.x.data must be a Float32Array`);
  }
  const { data, shape } = inputs as Inputs;
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
