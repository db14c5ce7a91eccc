import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { SparseRows } from "../../../src/core/data/csr.ts";
import {
  denseInputs,
  isSparseRows,
  type SampleSet,
  sliceSamples,
} from "../../../src/core/data/dataset.ts";
import { decodeShard, encodeShard } from "../../../src/core/data/shard.ts";
import { compactSamples } from "../../../src/core/data/sparse.ts";
import { mulberry } from "../../support/random.ts";

/** Version 3 shards: each split dense or CSR, whichever is smaller; version 2 still read. */

/** `count` multi-hot rows of `width` with `ones` distinct inputs each (mulberry from `seed`). */
function multiHotRows(count: number, width: number, ones: number, seed: number): SampleSet {
  const next = mulberry(seed);
  const rowStart = new Uint32Array(count + 1);
  const index = new Uint32Array(count * ones);
  const labels = new Int32Array(count);
  const mark = new Uint8Array(width);
  for (let i = 0; i < count; i++) {
    mark.fill(0);
    for (let w = 0; w < ones; ) {
      const j = Math.floor(next() * width);
      if (mark[j]) continue;
      mark[j] = 1;
      w++;
    }
    let at = i * ones;
    for (let j = 0; j < width; j++) if (mark[j]) index[at++] = j;
    rowStart[i + 1] = at;
    labels[i] = next() < 0.5 ? 1 : 0;
  }
  return {
    count,
    sampleShape: [width],
    x: { rowStart, index, value: undefined },
    y: { kind: "classes", labels, classes: 2 },
  };
}

/** The same samples with dense float32 inputs. */
function densified(set: SampleSet): SampleSet {
  return { ...set, x: Float32Array.from(denseInputs(set, 0, set.count)) };
}

describe("a 25,000 × 10,000 multi-hot set at 1.5%", () => {
  const [count, width, ones] = [25_000, 10_000, 150];
  const train = multiHotRows(count, width, ones, 7);
  const test_ = multiHotRows(1000, width, ones, 8);
  const bytes = encodeShard({ train, test: test_ });

  test("ships in under 5% of its dense float32 bytes", () => {
    const dense = (count + 1000) * width * 4;
    // 4 bytes an index and a row start: 15.1 MB of 1.04 GB, 1.5%.
    expect(bytes.length).toBeLessThan(0.05 * dense);
    expect(bytes.length).toBeLessThan(0.016 * dense);
  });

  test("decodes to exactly its rows, as CSR rows (no dense block)", () => {
    const shard = decodeShard(bytes);
    for (const [decoded, original] of [
      [shard.train, train],
      [shard.test, test_],
    ] as const) {
      const x = decoded.x as SparseRows;
      const expected = original.x as SparseRows;
      expect(isSparseRows(x)).toBe(true);
      expect(x.value).toBeUndefined();
      expect(x.rowStart).toEqual(expected.rowStart);
      expect(x.index).toEqual(expected.index);
      expect(decoded.y).toEqual(original.y);
    }
  });

  test("the same rows given dense encode to the same bytes", () => {
    // 400 rows dense are 16 MB of float32; the coordinator compacts them as it encodes.
    const part = sliceSamples(train, 0, 400);
    const few = sliceSamples(test_, 0, 30);
    expect(encodeShard({ train: densified(part), test: densified(few) })).toEqual(
      encodeShard({ train: part, test: few }),
    );
  });
});

interface Shared {
  readonly shape: readonly number[];
  readonly pixels: boolean;
  readonly rows: boolean;
}

/** A split of the shared shape and kinds: pixels, or floats given dense, multi-hot or CSR. */
const splitArbitrary = ({ shape, pixels, rows }: Shared) =>
  fc
    .record({
      count: fc.integer({ min: 0, max: 10 }),
      kind: pixels ? fc.constant("pixels") : fc.constantFrom("floats", "multi-hot", "csr"),
      density: fc.double({ min: 0, max: 1, noNaN: true }),
      seed: fc.integer({ min: 1, max: 2 ** 31 }),
    })
    .map(({ count, kind, density, seed }): SampleSet => {
      const size = shape.reduce((a, b) => a * b, 1);
      let s = seed;
      const next = () => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return s / 4294967296;
      };
      const cells = Array.from({ length: count * size }, () => (next() < density ? next() : 0));
      const floats = Float32Array.from(cells, (v) =>
        v ? (kind === "multi-hot" ? 1 : v * 8 - 4) : 0,
      );
      const labels = Int32Array.from({ length: count }, () => Math.floor(next() * 5));
      const dense: SampleSet = {
        count,
        sampleShape: shape,
        x: kind === "pixels" ? Uint8Array.from(cells, (v) => Math.ceil(v * 255)) : floats,
        y: rows
          ? {
              kind: "rows",
              data: Float32Array.from({ length: 2 * count }, next),
              width: 2,
              oneHot: false,
            }
          : { kind: "classes", labels, classes: 5 },
      };
      if (kind !== "csr") return dense;
      // CSR rows a caller gave: kept as rows whatever their density.
      const rowStart = new Uint32Array(count + 1);
      const index: number[] = [];
      const value: number[] = [];
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < size; j++) {
          if (floats[i * size + j] === 0) continue;
          index.push(j);
          value.push(floats[i * size + j]);
        }
        rowStart[i + 1] = index.length;
      }
      const x = { rowStart, index: Uint32Array.from(index), value: Float32Array.from(value) };
      return { ...dense, x };
    });

const shardArbitrary = fc
  .record({
    shape: fc.constantFrom([7], [2, 3], [1, 2, 2, 2]),
    pixels: fc.boolean(),
    rows: fc.boolean(),
  })
  .chain((shared) => fc.tuple(splitArbitrary(shared), splitArbitrary(shared)));

describe("version 3 shards", () => {
  test("encode → decode gives back every split's inputs and targets, in the smaller form", () => {
    fc.assert(
      fc.property(shardArbitrary, ([train, testSamples]) => {
        const shard = decodeShard(encodeShard({ train, test: testSamples }));
        for (const [decoded, original] of [
          [shard.train, train],
          [shard.test, testSamples],
        ] as const) {
          expect(decoded.count).toBe(original.count);
          expect(decoded.sampleShape).toEqual(original.sampleShape);
          expect(denseInputs(decoded, 0, decoded.count)).toEqual(
            Float32Array.from(denseInputs(original, 0, original.count)),
          );
          expect(isSparseRows(decoded.x)).toBe(isSparseRows(compactSamples(original).x));
          expect(decoded.y.kind).toBe(original.y.kind);
          const targets = (set: SampleSet) =>
            set.y.kind === "rows" ? set.y.data : Int32Array.from(set.y.labels);
          expect(targets(decoded)).toEqual(targets(original));
        }
      }),
      { numRuns: 300 },
    );
  });

  // 3 samples of 10 inputs with 2, 0 and 3 entries and values: a CSR train split at byte 48.
  const sparse: SampleSet = {
    count: 3,
    sampleShape: [10],
    x: {
      rowStart: Uint32Array.of(0, 2, 2, 5),
      index: Uint32Array.of(1, 7, 0, 4, 9),
      value: Float32Array.of(0.5, 2, -1, 3, 4),
    },
    y: { kind: "classes", labels: Int32Array.of(0, 1, 1), classes: 2 },
  };
  const bytes = encodeShard({ train: sparse, test: sparse });
  const word = (at: number, value: number) => {
    const copy = bytes.slice();
    new DataView(copy.buffer).setUint32(at, value, true);
    return copy;
  };
  const ROW_START = 48 + 8;
  const INDEX = ROW_START + 4 * 4;

  test("a CSR section's layout: form 2, its entries, rowStart, index, value", () => {
    const view = new DataView(bytes.buffer);
    expect([48, 52, ROW_START + 4, INDEX + 4].map((at) => view.getUint32(at, true))).toEqual([
      2, 5, 2, 7,
    ]);
    expect(view.getFloat32(INDEX + 5 * 4, true)).toBe(0.5);
    expect(bytes.length).toBe(48 + 2 * (8 + 4 * 4 + 5 * 8 + 3 * 4));
  });

  test("bad CSR sections name the split and the problem", () => {
    const cut = bytes.subarray(0, INDEX + 8);
    expect(() => decodeShard(cut, "s")).toThrow(
      "s: train inputs: truncated: 3 rows of 5 entries with values need 56 bytes, 24 left",
    );
    expect(() => decodeShard(word(INDEX + 8, 10), "s")).toThrow(
      "s: train inputs: sample 2: index 10 is past the width 10",
    );
    expect(() => decodeShard(word(ROW_START + 8, 1), "s")).toThrow(
      "s: train inputs: rowStart goes backwards at sample 1: 1 after 2",
    );
    expect(() => decodeShard(word(INDEX + 4, 1), "s")).toThrow(
      "s: train inputs: sample 0: index 1 after 1 (a row's indices must ascend)",
    );
    expect(() => decodeShard(word(52, 6), "s")).toThrow(
      "s: train inputs: rows span entries 0..5, expected 0..6",
    );
    expect(() => decodeShard(word(48, 7), "s")).toThrow(
      "s: train inputs of form 7, expected 0 (dense), 1 (CSR of ones) or 2 (CSR with values)",
    );
    expect(() => decodeShard(bytes.subarray(0, 52), "s")).toThrow(
      "s: truncated: the train inputs' form and entries words need 8 bytes from byte 48, the shard has 52",
    );
  });
});

describe("version 2 shards (dense only, no form words)", () => {
  /** A version 2 shard written out by hand from its documented layout. */
  function versionTwo(): Uint8Array {
    const header = [0x48534653, 2, 0, 2, 2, 2, 0, 0, 0, 10, 2, 1];
    const out = new Uint8Array(48 + 8 + 8 + 4 + 4);
    const view = new DataView(out.buffer);
    for (const [i, v] of header.entries()) view.setUint32(4 * i, v, true);
    out.set([0, 255, 0, 0, 0, 0, 255, 0], 48); // train pixels, 2 samples of 2×2
    view.setInt32(56, 3, true);
    view.setInt32(60, 4, true);
    out.set([9, 9, 9, 9], 64); // test pixels
    view.setInt32(68, 7, true);
    return out;
  }

  test("are read as before: dense pixel bytes and their labels", () => {
    const shard = decodeShard(versionTwo());
    expect(shard.train.x).toEqual(Uint8Array.of(0, 255, 0, 0, 0, 0, 255, 0));
    expect(shard.train.y).toEqual({ kind: "classes", labels: Int32Array.of(3, 4), classes: 10 });
    expect(shard.test.x).toEqual(Uint8Array.of(9, 9, 9, 9));
    expect(() => decodeShard(versionTwo().subarray(0, 71), "old")).toThrow(
      "old: expected 72 bytes for 2+1 samples of [2, 2], got 71",
    );
  });
});
