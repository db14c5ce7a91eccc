// Run by `deno test -A test/deno/` (npm test runs it): the data readers under Deno, where
// csv-parse/stream takes its TransformStream from node:stream/web and fflate inflates.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { arraysFromNpyDir, arraysFromNpz } from "../../src/adapter/fs/array-files.ts";
import { tableFromCsvFile } from "../../src/adapter/fs/table-files.ts";
import { DataFileError } from "../../src/core/data/error.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/npy");

Deno.test("a CSV table streamed from a file under Deno", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shardfit-deno-csv-"));
  try {
    const path = join(dir, "cars.csv");
    await writeFile(path, 'mpg;cyl;origin\n18;8;USA\n24;4;"Japan"\n26;4;Europe\n21;6;USA\n');
    const table = await tableFromCsvFile(path, { target: "mpg", testSplit: 0, task: "regression" });
    assert.deepEqual(table.data.train.x.shape, [4, 5]);
    assert.deepEqual(Array.from(table.data.train.y.data), [18, 24, 26, 21]);
    assert.deepEqual(table.preprocessing.columns[1], {
      name: "origin",
      kind: "string",
      vocabulary: ["USA", "Europe", "Japan"],
    });
    await writeFile(path, "a,y\n1,2\n3\n");
    await assert.rejects(
      tableFromCsvFile(path, { target: "y" }),
      (error: Error) => error instanceof DataFileError && /\(line 3\): 1 field/.test(error.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("NumPy savez_compressed archive and .npy folder under Deno", async () => {
  for (const data of [
    await arraysFromNpz(join(FIXTURES, "keras-compressed.npz")),
    await arraysFromNpyDir(join(FIXTURES, "keras-dir")),
  ]) {
    assert.deepEqual(data.train.x.shape, [5, 4, 3]);
    assert.deepEqual(Array.from(data.train.y.data), [0, 2, 1, 2, 0]);
  }
});
