import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import {
  activeColumns,
  COLUMN_ALIGN,
  forEachRun,
  gatherRows,
  scatterRows,
} from "../../src/worker/active-columns.ts";

let data: Dataset;
beforeAll(async () => {
  data = await loadIdxDataset();
});

const PX = 784;

describe("active columns", () => {
  test("are the pixels with ink in some sample, padded with blank ones to a multiple of 16", () => {
    const indices = Int32Array.from({ length: 64 }, (_, i) => 7 * i);
    const columns = new Int32Array(PX);
    const width = activeColumns(data.train.images, PX, indices, 0, 64, new Uint8Array(PX), columns);
    const inked = new Set<number>();
    for (const s of indices)
      for (let j = 0; j < PX; j++) if (data.train.images[s * PX + j]) inked.add(j);
    const chosen = Array.from(columns.subarray(0, width));
    expect(width % COLUMN_ALIGN).toBe(0);
    expect(width - inked.size).toBeLessThan(COLUMN_ALIGN);
    expect(width).toBeLessThan(PX);
    for (const j of inked) expect(chosen).toContain(j);
    expect(chosen).toEqual([...chosen].sort((a, b) => a - b));
    expect(new Set(chosen).size).toBe(width);
  });

  test("a blank batch still has one block of columns", () => {
    const blank = new Uint8Array(4 * PX);
    const columns = new Int32Array(PX);
    const width = activeColumns(
      blank,
      PX,
      Int32Array.of(0, 1, 2, 3),
      0,
      4,
      new Uint8Array(PX),
      columns,
    );
    expect(width).toBe(COLUMN_ALIGN);
  });

  describe("rows copied a run of consecutive columns at a time", () => {
    const [inputs, units, offset] = [12, 3, 5];
    const cases = [
      [0, 1, 2, 5, 6, 9, 10, 11], // runs at both ends
      [3], // one column
      [1, 3, 5, 7], // no two consecutive
      Array.from({ length: inputs }, (_, j) => j), // every column: one run
    ];
    const flat = Float32Array.from({ length: offset + inputs * units + 4 }, (_, i) => i + 0.5);

    test.each(cases)("runs of %p", (...list) => {
      const columns = Int32Array.from([...list, 99, 99]); // entries past width are ignored
      const runs: number[][] = [];
      forEachRun(columns, list.length, (k, j, n) => runs.push([k, j, n]));
      const expanded = runs.flatMap(([, j, n]) => Array.from({ length: n }, (_, i) => j + i));
      expect(expanded).toEqual(list);
      for (const [k, j] of runs) expect(columns[k]).toBe(j);
      // Maximal: a run never continues the one before it.
      for (let r = 1; r < runs.length; r++) {
        expect(runs[r][1]).toBeGreaterThan(runs[r - 1][1] + runs[r - 1][2]);
      }
    });

    test.each(cases)(
      "gatherRows (both layouts) and scatterRows of %p agree with row-by-row copies",
      (...list) => {
        const columns = Int32Array.from(list);
        const width = list.length;
        const gathered = new Float32Array(width * units).fill(Number.NaN);
        gatherRows(flat, offset, units, columns, width, gathered, "packed");
        const expected = list.flatMap((j) =>
          Array.from(flat.subarray(offset + j * units).subarray(0, units)),
        );
        expect(Array.from(gathered)).toEqual(expected);

        const out = new Float32Array(flat.length).fill(Number.NaN); // stale contents
        scatterRows(gathered, out, offset, inputs, units, columns, width);
        for (let j = 0; j < inputs; j++) {
          const row = Array.from(out.subarray(offset + j * units, offset + (j + 1) * units));
          const k = list.indexOf(j);
          expect(row).toEqual(k < 0 ? [0, 0, 0] : expected.slice(k * units, (k + 1) * units));
        }
        // Nothing outside the kernel is written.
        expect(out.subarray(0, offset).every(Number.isNaN)).toBe(true);
        expect(out.subarray(offset + inputs * units).every(Number.isNaN)).toBe(true);

        // In place: the same rows, each at its own row; the other rows untouched.
        const placed = new Float32Array(inputs * units).fill(Number.NaN);
        gatherRows(flat, offset, units, columns, width, placed, "in place");
        for (let j = 0; j < inputs; j++) {
          const row = Array.from(placed.subarray(j * units, (j + 1) * units));
          const k = list.indexOf(j);
          if (k < 0) expect(row.every(Number.isNaN)).toBe(true);
          else expect(row).toEqual(expected.slice(k * units, (k + 1) * units));
        }
      },
    );
  });
});
