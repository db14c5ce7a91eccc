import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { readCsvTable } from "../../../src/core/data/csv-table.ts";
import { DataFileError } from "../../../src/core/data/error.ts";
import { arrayDatasetFromKerasArrays } from "../../../src/core/data/keras-arrays.ts";
import { parseNpy } from "../../../src/core/data/npy.ts";
import { parseNpz } from "../../../src/core/data/npz.ts";

/**
 * Arbitrary input never makes a reader throw anything but DataFileError, and never hangs (a
 * hang fails the test's timeout). Allocation is bounded by construction — sizes are checked
 * against the bytes present before anything is allocated — and exercised here on mutated
 * real files, whose headers then claim arbitrary shapes and sizes.
 */
const FIXTURES = join(import.meta.dir, "../../fixtures/npy");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

function onlyDataFileErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DataFileError)) throw error;
  }
}

async function onlyDataFileErrorsAsync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof DataFileError)) throw error;
  }
}

/** Copies of `bytes` with a few bytes overwritten and possibly cut short. */
const mutated = (bytes: Uint8Array) =>
  fc
    .record({
      edits: fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 6,
      }),
      cut: fc.option(fc.nat(bytes.length), { nil: undefined }),
    })
    .map(({ edits, cut }) => {
      const copy = bytes.slice(0, cut);
      for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
      return copy;
    });

const CSV_UNITS = [
  "a",
  "b",
  "1",
  "2.5",
  "-",
  "e",
  ".",
  ",",
  ";",
  "\t",
  '"',
  "\n",
  "\r",
  " ",
  "NA",
  "x,y",
];
const FIELDS = ["1", "2.5", "-3e2", "7", "a", "b", "NA", "", '"q,1"', '"x""y"', " 4 "];
/** Free text (mostly malformed) or well-formed rows of 3 fields (mostly readable tables). */
const csvText = fc.oneof(
  fc.array(fc.constantFrom(...CSV_UNITS), { maxLength: 80 }).map((u) => u.join("")),
  fc
    .array(fc.array(fc.constantFrom(...FIELDS), { minLength: 3, maxLength: 3 }), { maxLength: 12 })
    .map((rows) => rows.map((r) => r.join(",")).join("\n")),
);

describe("fuzz: readers fail only with DataFileError", () => {
  test("CSV tables from arbitrary text", async () => {
    await fc.assert(
      fc.asyncProperty(csvText, fc.constantFrom("a", "b", "y"), async (text, target) => {
        await onlyDataFileErrorsAsync(() =>
          readCsvTable({ file: "f.csv", source: `a,b,y\n${text}` }, { target, testSplit: 0.3 }),
        );
        await onlyDataFileErrorsAsync(() =>
          readCsvTable({ file: "g.csv", source: text }, { target }),
        );
      }),
      { numRuns: 300 },
    );
  });

  test("CSV tables from arbitrary bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        await onlyDataFileErrorsAsync(() =>
          readCsvTable({ file: "bytes.csv", source: bytes }, { target: "y" }),
        );
      }),
      { numRuns: 200 },
    );
  });

  test(".npy from arbitrary bytes and mutated NumPy files", () => {
    const files = ["dtype-f4.npy", "dtype-i8.npy", "dtype-b1.npy", "version-3.npy", "dtype-f2.npy"];
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), ...files.map((name) => mutated(fixture(name)))),
        (bytes) => onlyDataFileErrors(() => parseNpy(bytes, "f.npy")),
      ),
      { numRuns: 1000 },
    );
  });

  test(".npz from mutated savez and savez_compressed archives", () => {
    const archives = ["keras-stored.npz", "keras-compressed.npz", "rgb-onehot.npz"].map(fixture);
    fc.assert(
      fc.property(fc.oneof(...archives.map(mutated), fc.uint8Array({ maxLength: 300 })), (bytes) =>
        onlyDataFileErrors(() => arrayDatasetFromKerasArrays(parseNpz(bytes, "f.npz"), "f.npz")),
      ),
      { numRuns: 1000 },
    );
  });

  test("the fixtures themselves still read (the mutations start from valid files)", () => {
    expect(Object.keys(parseNpz(fixture("keras-compressed.npz"), "k.npz")).sort()).toEqual([
      "x_test",
      "x_train",
      "y_test",
      "y_train",
    ]);
  });
});
