import { describe, expect, test } from "bun:test";
import { validateArrayDataset } from "../../../src/core/data/arrays.ts";
import type { SparseRows } from "../../../src/core/data/csr.ts";
import {
  denseInputs,
  sampleBytes,
  samplesFromArrays,
  sliceSamples,
} from "../../../src/core/data/dataset.ts";
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

describe("CSR inputs (x as rowStart, index, value, shape [n, width])", () => {
  // SciPy's csr_matrix of [[0, 2, 0, 0], [0, 0, 0, 0], [1, 0, 0, 5]]: indptr, indices, data.
  const csr = {
    rowStart: Int32Array.of(0, 1, 1, 3),
    index: Int32Array.of(1, 0, 3),
    value: Float32Array.of(2, 1, 5),
    shape: [3, 4],
  };
  const y = { kind: "classes", data: Int32Array.of(0, 1, 0), classes: 2 } as const;
  const set = (x: object) => ({ train: { x, y }, test: { x, y } });

  test("pass as rows, never densified: samples hold the rows as uint32 views", () => {
    const data = validateArrayDataset(set(csr));
    const samples = samplesFromArrays(data.train);
    expect(samples.sampleShape).toEqual([4]);
    const x = samples.x as SparseRows;
    expect(x.rowStart).toEqual(Uint32Array.of(0, 1, 1, 3));
    expect(x.rowStart.buffer).toBe(csr.rowStart.buffer);
    expect(x.index.buffer).toBe(csr.index.buffer);
    expect(denseInputs(samples, 0, 3)).toEqual(Float32Array.of(0, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 5));
    // Values all 1 are dropped: multi-hot rows ship without them.
    const ones = samplesFromArrays(
      validateArrayDataset(set({ ...csr, value: Float32Array.of(1, 1, 1) })).train,
    );
    expect((ones.x as SparseRows).value).toBeUndefined();
    const noValues = validateArrayDataset(set({ ...csr, value: undefined }));
    expect((samplesFromArrays(noValues.train).x as SparseRows).value).toBeUndefined();
  });

  test.each([
    [{ shape: [3, 2, 2] }, "data: train.x.shape must be [n, width] for CSR rows"],
    [{ rowStart: [0, 1, 1, 3] }, "data: train.x.rowStart must be a Uint32Array or Int32Array"],
    [
      { index: Float32Array.of(1, 0, 3) },
      "data: train.x.index must be a Uint32Array or Int32Array",
    ],
    [{ index: Int32Array.of(1, -1, 3) }, "data: train.x.index[1] is -1 (negative)"],
    [{ value: [2, 1, 5] }, "data: train.x.value must be a Float32Array, or left out"],
    [{ index: Int32Array.of(1, 0, 4) }, "data: train.x: sample 2: index 4 is past the width 4"],
    [
      { rowStart: Int32Array.of(0, 2, 1, 3), index: Int32Array.of(0, 1, 3) },
      "data: train.x: rowStart goes backwards at sample 1: 1 after 2",
    ],
    [{ rowStart: Int32Array.of(0, 1, 3) }, "data: train.x: 3 row starts for 3 samples, expected 4"],
    [{ value: Float32Array.of(2, Number.NaN, 5) }, "data: train.x: sample 2: input 0 holds NaN"],
  ])("bad CSR inputs %p: %s", (change, message) => {
    expect(() => validateArrayDataset(set({ ...csr, ...change }))).toThrow(message);
  });

  test("a 10,000 × 100,000 set at 0.1% validates and slices without a dense block", () => {
    const [n, width, perRow] = [10_000, 100_000, 100];
    const rowStart = Uint32Array.from({ length: n + 1 }, (_, i) => i * perRow);
    const index = Uint32Array.from({ length: n * perRow }, (_, e) => (e % perRow) * 997 + (e % 7));
    const labels = { kind: "classes", data: new Int32Array(n), classes: 2 } as const;
    const x = { rowStart, index, shape: [n, width] };
    const data = validateArrayDataset({ train: { x, y: labels }, test: { x, y: labels } });
    const samples = samplesFromArrays(data.train);
    // Dense float32 would be 4 GB; the rows are 4 MB.
    expect(sampleBytes(samples)).toBeLessThan(5 * 2 ** 20);
    const part = sliceSamples(samples, 9_000, 10_000);
    expect((part.x as SparseRows).rowStart[1000]).toBe(1000 * perRow);
  });
});
