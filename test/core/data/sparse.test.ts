import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  compactSamples,
  decodeSparseSet,
  encodeSparseSet,
  type SparseSet,
  sparseFromDense,
} from "../../../src/core/data/sparse.ts";

/** CSR sets: from random dense bytes, through their binary form and back. */

const denseArbitrary = fc
  .record({ count: fc.integer({ min: 0, max: 12 }), width: fc.integer({ min: 1, max: 40 }) })
  .chain(({ count, width }) =>
    fc.record({
      count: fc.constant(count),
      width: fc.constant(width),
      bytes: fc.uint8Array({ minLength: count * width, maxLength: count * width }),
      labels: fc.uint8Array({ minLength: count, maxLength: count }),
      multiHot: fc.boolean(),
    }),
  );

describe("sparse sets", () => {
  test("sparseFromDense keeps exactly the nonzero inputs; encode → decode is the identity", () => {
    fc.assert(
      fc.property(denseArbitrary, ({ count, width, bytes, labels, multiHot }) => {
        const dense = multiHot ? bytes.map((b) => (b > 200 ? 1 : 0)) : bytes;
        const set = sparseFromDense(dense, count, width, labels, multiHot ? 1 : 255);
        expect(set.value === undefined).toBe(multiHot || dense.every((v) => v === 0));
        const back = new Float32Array(count * width);
        for (let i = 0; i < count; i++) {
          for (let e = set.rowStart[i]; e < set.rowStart[i + 1]; e++) {
            back[i * width + set.index[e]] = set.value ? set.value[e] : 1;
          }
        }
        const divisor = multiHot ? 1 : 255;
        expect(Array.from(back)).toEqual(Array.from(dense, (v) => Math.fround(v / divisor)));
        const decoded = decodeSparseSet(encodeSparseSet(set));
        expect(decoded).toEqual(set);
      }),
    );
  });

  test("a 25,000 × 10,000 multi-hot set at 1.5% takes 4 bytes an entry, not 4 a cell", () => {
    const [count, width, perRow] = [25_000, 10_000, 150];
    const rowStart = Uint32Array.from({ length: count + 1 }, (_, i) => i * perRow);
    const index = Uint32Array.from({ length: count * perRow }, (_, e) => (e % perRow) * 60);
    const set: SparseSet = {
      count,
      width,
      rowStart,
      index,
      value: undefined,
      labels: new Uint8Array(count),
    };
    const bytes = encodeSparseSet(set).length;
    expect(bytes).toBe(24 + 4 * (count + 1) + 4 * count * perRow + count);
    expect(bytes).toBeLessThan((count * width * 4) / 60);
  });

  test("compactSamples: CSR rows where they are smaller than the dense inputs, else the set", () => {
    const [count, width] = [20, 400];
    const labels = new Uint8Array(count).fill(3);
    const set = (x: Uint8Array | Float32Array) =>
      ({ count, sampleShape: [width], x, y: { kind: "classes", labels, classes: 4 } }) as const;
    const multiHot = new Uint8Array(count * width).map((_, i) => (i % 37 === 0 ? 255 : 0));
    const grey = multiHot.map((v, i) => (v ? 1 + (i % 250) : 0));
    const ink = new Uint8Array(count * width).map((_, i) => (i % 3 === 0 ? 255 : 0));
    const hot = compactSamples(set(multiHot));
    expect("rowStart" in hot && hot.value === undefined).toBe(true);
    const rows = sparseFromDense(multiHot, count, width, labels, 255);
    expect(hot).toMatchObject({ rowStart: rows.rowStart, index: rows.index, y: set(multiHot).y });
    // 2.7% entries of 8 bytes (value stored) < 1 byte a cell; 33% ink at 4 bytes an entry is not.
    expect("rowStart" in compactSamples(set(grey))).toBe(true);
    const dense = set(ink);
    expect(compactSamples(dense)).toBe(dense);
    // Floats cost 4 bytes a cell: the same 33% of ones as 0/1 floats is smaller as rows.
    const floats = Float32Array.from(ink, (v) => v / 255);
    expect("rowStart" in compactSamples(set(floats))).toBe(true);
  });

  test("bad input names the problem", () => {
    const ok = sparseFromDense(Uint8Array.from([0, 3, 0, 0, 5, 7]), 2, 3, Uint8Array.from([1, 0]));
    const bytes = encodeSparseSet(ok);
    expect(() => decodeSparseSet(bytes.subarray(0, 10), "x.bin")).toThrow("x.bin: truncated");
    expect(() => decodeSparseSet(bytes.subarray(0, bytes.length - 1), "x.bin")).toThrow(
      /expected \d+ bytes for 2 samples and 3 entries/,
    );
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeSparseSet(bad)).toThrow("bad magic");
    const backwards = { ...ok, index: Uint32Array.from([1, 2, 1]) };
    expect(() => encodeSparseSet(backwards)).toThrow(
      "sample 1: input 1 is past the width 3 or not after",
    );
    const wide = { ...ok, index: Uint32Array.from([1, 1, 3]) };
    expect(() => encodeSparseSet(wide)).toThrow("input 3 is past the width 3");
    expect(() => sparseFromDense(new Uint8Array(5), 2, 3, new Uint8Array(2))).toThrow(
      "5 values and 2 labels for 2 samples of 3",
    );
  });
});
