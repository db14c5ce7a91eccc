import { describe, expect, test } from "bun:test";
import { validateArrayDataset } from "../../../src/core/data/arrays.ts";
import { DataFileError } from "../../../src/core/data/error.ts";

const split = (n: number, width = 2) => ({
  x: { data: new Float32Array(n * width).map((_, i) => i / 10), shape: [n, width] },
  y: { kind: "classes" as const, data: new Int32Array(n).map((_, i) => i % 3), classes: 3 },
});

describe("validateArrayDataset", () => {
  test("a well-formed data set passes unchanged", () => {
    const data = { train: split(4), test: split(2) };
    expect(validateArrayDataset(data)).toEqual(data);
  });

  const fails = (data: unknown, message: string) => {
    expect(() => validateArrayDataset(data, "mine")).toThrow(DataFileError);
    expect(() => validateArrayDataset(data, "mine")).toThrow(`mine: ${message}`);
  };

  test("structure", () => {
    fails(undefined, "expected { train: { x, y }, test: { x, y } }");
    fails(
      { train: split(2), test: { ...split(2), x: { data: [1, 2], shape: [1, 2] } } },
      "test.x.data must be a Float32Array",
    );
    fails(
      { train: { ...split(2), x: { data: new Float32Array(4), shape: [4] } }, test: split(1) },
      "train.x.shape must be [n, ...sampleShape]",
    );
    fails(
      { train: { ...split(2), y: { kind: "labels", data: [] } }, test: split(1) },
      'train.y.kind must be "classes", "one-hot" or "numbers"',
    );
  });

  test("lengths that disagree", () => {
    fails(
      { train: { ...split(2), x: { data: new Float32Array(5), shape: [2, 2] } }, test: split(1) },
      "train.x: shape [2, 2] holds 4 values, data has 5",
    );
    fails(
      { train: { x: split(3).x, y: split(2).y }, test: split(1) },
      "train.y: expected 3 rows of 1 (3 values) for 3 samples, got 2 values",
    );
    fails({ train: split(2, 2), test: split(2, 3) }, "test samples are 3, train samples are 2");
  });

  test("non-finite values and classes out of range", () => {
    const x = split(2).x;
    x.data[3] = Number.NaN;
    fails(
      { train: { ...split(2), x }, test: split(1) },
      "train.x: sample 1 holds NaN (not a finite number)",
    );
    const y = { kind: "classes" as const, data: Int32Array.of(0, 3), classes: 3 };
    fails(
      { train: { ...split(2), y }, test: split(1) },
      "train.y: sample 1 has class 3, expected 0..2",
    );
    const numbers = {
      kind: "numbers" as const,
      data: Float32Array.of(1, Number.POSITIVE_INFINITY),
      outputs: 1,
    };
    fails(
      {
        train: { ...split(2), y: numbers },
        test: { ...split(1), y: { ...numbers, data: Float32Array.of(0) } },
      },
      "train.y: row 1 holds Infinity (not finite)",
    );
  });

  test("one-hot rows, class names, and train and test agreeing", () => {
    const oneHot = (data: number[]) => ({
      kind: "one-hot" as const,
      data: Float32Array.from(data),
      classes: 2,
    });
    fails(
      { train: { ...split(2), y: oneHot([1, 0, 1, 1]) }, test: split(1) },
      "train.y: one-hot row 1 has 2 ones (expected exactly 1)",
    );
    fails(
      { train: { ...split(2), y: oneHot([1, 0, 0.5, 0.5]) }, test: split(1) },
      "train.y: one-hot row 1 holds 0.5 (expected 0 or 1)",
    );
    fails(
      { train: { ...split(2), y: { ...split(2).y, classNames: ["a", "b"] } }, test: split(1) },
      "train.y.classNames has 2 names for 3 classes",
    );
    fails(
      { train: split(2), test: { ...split(1), y: oneHot([0, 1]) } },
      "test targets (one-hot rows of 2 classes) differ from train's (class indices of 3 classes)",
    );
    fails(
      { train: split(2), test: { ...split(1), y: { ...split(1).y, classes: 4 } } },
      "test has 4 classes, train has 3",
    );
    fails({ train: split(0), test: split(1) }, "train has no samples");
  });
});
