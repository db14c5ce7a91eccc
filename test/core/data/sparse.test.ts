import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  checkSparseRows,
  readSparseRows,
  type SparseRows,
  sparseRowsBytes,
  writeSparseRows,
} from "../../../src/core/data/csr.ts";
import { type SampleSet, sliceSamples } from "../../../src/core/data/dataset.ts";
import { compactSamples, toSparseSamples } from "../../../src/core/data/sparse.ts";

/** CSR rows: from random dense bytes or floats, through their binary form and back. */

const denseArbitrary = fc
  .record({ count: fc.integer({ min: 0, max: 12 }), width: fc.integer({ min: 1, max: 40 }) })
  .chain(({ count, width }) =>
    fc.record({
      count: fc.constant(count),
      width: fc.constant(width),
      bytes: fc.uint8Array({ minLength: count * width, maxLength: count * width }),
      kind: fc.constantFrom("pixels", "multi-hot", "floats"),
    }),
  );

type DenseCase = typeof denseArbitrary extends fc.Arbitrary<infer T> ? T : never;

function denseSet({ count, width, bytes, kind }: DenseCase): SampleSet {
  const x =
    kind === "pixels"
      ? bytes
      : Float32Array.from(bytes, (b) => (b < 200 ? 0 : kind === "multi-hot" ? 1 : b / 7 - 30));
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  return { count, sampleShape: [width], x, y: { kind: "classes", labels, classes: 3 } };
}

/** The dense inputs CSR rows stand for (an independent reading: one cell at a time). */
function densify(rows: SparseRows, count: number, width: number): Float32Array {
  const out = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    for (let e = rows.rowStart[i]; e < rows.rowStart[i + 1]; e++) {
      out[i * width + rows.index[e]] = rows.value ? rows.value[e] : 1;
    }
  }
  return out;
}

/** A dense set's inputs as the model takes them. */
const scaled = (set: SampleSet) =>
  set.x instanceof Uint8Array ? Float32Array.from(set.x, (v) => v / 255) : (set.x as Float32Array);

describe("CSR rows", () => {
  test("toSparseSamples keeps exactly the nonzero inputs; write → read is the identity", () => {
    fc.assert(
      fc.property(denseArbitrary, (case_) => {
        const set = denseSet(case_);
        const sparse = toSparseSamples(set);
        const { count, width } = case_;
        expect(densify(sparse.x, count, width)).toEqual(scaled(set) as Float32Array);
        expect(sparse.x.index.length).toBe(scaled(set).filter((v) => v !== 0).length);
        // Values are dropped exactly when every stored one is 1.
        const ones = sparse.x.index.length === 0 || case_.kind === "multi-hot";
        expect(sparse.x.value === undefined).toBe(ones);
        const values = sparse.x.value !== undefined;
        const bytes = new Uint8Array(4 + sparseRowsBytes(count, sparse.x.index.length, values));
        writeSparseRows(bytes, 4, sparse.x);
        const shape = { count, width, entries: sparse.x.index.length, values };
        const read = readSparseRows(bytes, 4, shape, "rows");
        expect(read.rowStart).toEqual(sparse.x.rowStart);
        expect(read.index).toEqual(sparse.x.index);
        expect(read.value).toEqual(sparse.x.value);
      }),
    );
  });

  test("a slice of CSR rows is the slice of the dense rows", () => {
    fc.assert(
      fc.property(denseArbitrary, fc.nat(), fc.nat(), (case_, a, b) => {
        const set = denseSet(case_);
        const start = case_.count ? a % (case_.count + 1) : 0;
        const end = start + (case_.count - start ? b % (case_.count - start + 1) : 0);
        const part = sliceSamples(toSparseSamples(set), start, end);
        const rows = part.x as SparseRows;
        checkSparseRows(rows, end - start, case_.width, "slice");
        const whole = scaled(set);
        const expected = whole.subarray(start * case_.width, end * case_.width);
        expect(densify(rows, end - start, case_.width)).toEqual(Float32Array.from(expected));
      }),
    );
  });

  test("compactSamples: CSR rows where they are smaller than the dense inputs, else the set", () => {
    const [count, width] = [20, 400];
    const labels = new Uint8Array(count).fill(3);
    const set = (x: Uint8Array | Float32Array): SampleSet => ({
      count,
      sampleShape: [width],
      x,
      y: { kind: "classes", labels, classes: 4 },
    });
    const multiHot = new Uint8Array(count * width).map((_, i) => (i % 37 === 0 ? 255 : 0));
    const grey = multiHot.map((v, i) => (v ? 1 + (i % 250) : 0));
    const ink = new Uint8Array(count * width).map((_, i) => (i % 3 === 0 ? 255 : 0));
    const hot = compactSamples(set(multiHot));
    const rows = toSparseSamples(set(multiHot)).x;
    expect(hot.x).toEqual({ rowStart: rows.rowStart, index: rows.index, value: undefined });
    expect(hot.y).toEqual(set(multiHot).y);
    // 2.7% entries of 8 bytes (value stored) < 1 byte a cell; 33% ink at 4 bytes an entry is not.
    expect("rowStart" in compactSamples(set(grey)).x).toBe(true);
    const dense = set(ink);
    expect(compactSamples(dense)).toBe(dense);
    // Floats cost 4 bytes a cell: the same 33% of ones as 0/1 floats is smaller as rows.
    const floats = Float32Array.from(ink, (v) => v / 255);
    expect("rowStart" in compactSamples(set(floats)).x).toBe(true);
    // A set of rows already stays as it is.
    expect(compactSamples(hot)).toBe(hot);
  });

  test("bad rows name the problem", () => {
    const ok: SparseRows = {
      rowStart: Uint32Array.of(0, 1, 3),
      index: Uint32Array.of(1, 0, 2),
      value: Float32Array.of(3, 5, 7),
    };
    expect(() => checkSparseRows(ok, 2, 3, "x")).not.toThrow();
    const bad =
      (rows: Partial<SparseRows>, width = 3) =>
      () =>
        checkSparseRows({ ...ok, ...rows }, 2, width, "x.csr");
    expect(bad({ rowStart: Uint32Array.of(0, 2, 1, 3) })).toThrow(
      "x.csr: 4 row starts for 2 samples, expected 3",
    );
    expect(bad({ rowStart: Uint32Array.of(0, 1, 2) })).toThrow(
      "x.csr: rows span entries 0..2, expected 0..3",
    );
    expect(
      bad({ rowStart: Uint32Array.of(0, 3, 2), index: Uint32Array.of(1, 0), value: undefined }),
    ).toThrow("x.csr: sample 0's row ends at entry 3, past the 2 entries");
    expect(() =>
      checkSparseRows(
        { rowStart: Uint32Array.of(0, 2, 1, 3), index: Uint32Array.of(0, 1, 2), value: undefined },
        3,
        3,
        "x.csr",
      ),
    ).toThrow("x.csr: rowStart goes backwards at sample 1: 1 after 2");
    expect(bad({ index: Uint32Array.of(1, 0, 3) })).toThrow(
      "x.csr: sample 1: index 3 is past the width 3",
    );
    expect(bad({ index: Uint32Array.of(1, 2, 2) })).toThrow(
      "x.csr: sample 1: index 2 after 2 (a row's indices must ascend)",
    );
    expect(bad({ value: Float32Array.of(1, Number.NaN, 2) })).toThrow(
      "x.csr: sample 1: input 0 holds NaN",
    );
    expect(bad({ value: Float32Array.of(1, 2) })).toThrow("x.csr: 2 values for 3 indices");
    expect(bad({}, 0)).toThrow("x.csr: width 0 must be a positive integer");
    const bytes = new Uint8Array(sparseRowsBytes(2, 3, true));
    writeSparseRows(bytes, 0, ok);
    const shape = { count: 2, width: 3, entries: 3, values: true };
    expect(() => readSparseRows(bytes.subarray(0, bytes.length - 4), 0, shape, "s")).toThrow(
      "s: truncated: 2 rows of 3 entries with values need 36 bytes, 32 left",
    );
  });
});
