/**
 * `train --data FILE.csv|FILE.npz|DIR`: a bad file stops the run before anything is trained or
 * written, with the reader's error naming the file, line, column and value; flags that need a
 * CSV are usage errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { encodeNpy } from "../../src/core/data/npy.ts";
import { crc32 } from "../../src/core/data/npz.ts";
import { npzBytes } from "../support/keras-npz.ts";
import { finished } from "../support/process.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-train-data-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const proc = Bun.spawn([process.execPath, "src/cli/train.ts", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return finished(proc);
}

/** Runs train on `name` holding `content`; expects exit 1, `message`, and no model written. */
async function expectRefused(
  name: string,
  content: string | Uint8Array,
  extra: string[],
  message: string | RegExp,
) {
  const file = join(dir, name);
  await writeFile(file, content);
  const out = join(dir, `out-${name}`);
  const run = await cli("--data", file, ...extra, "--out", out, "--epochs", "1");
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toContain("    at "); // a message, not a stack trace
  expect(existsSync(out)).toBe(false);
  expect(existsSync(`${out}.checkpoint`)).toBe(false);
}

const x = (n: number) => ({ dtype: "<f4", shape: [n, 2], data: new Float32Array(n * 2) });
const y = (n: number) => ({
  dtype: "|u1",
  shape: [n],
  data: Uint8Array.from({ length: n }, (_, i) => i % 2),
});

describe("train --data: bad files lose nothing and say what is wrong", () => {
  test("a ragged CSV row names its line", async () => {
    await expectRefused(
      "ragged.csv",
      "a,b,y\n1,2,0\n3,4\n5,6,1\n",
      ["--target", "y"],
      /ragged\.csv \(line 3\): .*2 fields?/,
    );
  });

  test("a non-number in a number column names line, column and value", async () => {
    await expectRefused(
      "text.csv",
      "a,b,y\n1,2,0\n3,4,1\n5,seven,1\n",
      ["--target", "y"],
      'text.csv (line 4, column "b"): "seven" is not a number',
    );
  });

  test("an unknown target lists the columns", async () => {
    await expectRefused(
      "target.csv",
      "a,b,y\n1,2,0\n3,4,1\n",
      ["--target", "price"],
      'target "price" not in the header; the columns are "a", "b", "y"',
    );
  });

  test("an empty file", async () => {
    await expectRefused("empty.csv", "", ["--target", "y"], /empty\.csv.*(empty|no header)/i);
  });

  test("arrays of different lengths", async () => {
    const npz = npzBytes({ x_train: x(4), y_train: y(3), x_test: x(2), y_test: y(2) });
    await expectRefused(
      "lengths.npz",
      npz,
      [],
      "x_train has 4 samples, y_train has 3: arrays of different lengths",
    );
  });

  test("a truncated zip", async () => {
    const npz = npzBytes({ x_train: x(4), y_train: y(4), x_test: x(2), y_test: y(2) }, true);
    await expectRefused(
      "cut.npz",
      npz.subarray(0, npz.length - 1),
      [],
      /cut\.npz: not a zip archive, or truncated/,
    );
  });

  test("a member inflating beyond its header", async () => {
    const npy = encodeNpy({ dtype: "|u1", shape: [4], data: new Uint8Array(4) });
    const zip = zipSync({ "x_train.npy": [npy, { level: 9 }] });
    const view = new DataView(zip.buffer);
    const central = view.getUint32(zip.length - 22 + 16, true);
    view.setUint32(central + 24, npy.length - 2, true);
    view.setUint32(central + 16, crc32(npy.subarray(0, npy.length - 2)), true);
    await expectRefused("bomb.npz", zip, [], "x_train.npy: inflates to more than the");
  });

  test("a missing archive member names the layout", async () => {
    const npz = npzBytes({ x_train: x(4), y_train: y(4) });
    await expectRefused(
      "half.npz",
      npz,
      [],
      "missing x_test, y_test: expected arrays x_train, y_train, x_test, y_test",
    );
  });

  test("one SciPy sparse matrix (save_npz) says how to lay out a sparse data set", async () => {
    const matrix = readFileSync("test/fixtures/npy/sparse-dir/x_train.npz");
    await expectRefused(
      "matrix.npz",
      matrix,
      [],
      "matrix.npz: holds one SciPy sparse matrix (scipy.sparse.save_npz), not a data set: put it in a folder as x_train.npz",
    );
  });

  test("a file that is neither .csv nor .npz nor a folder", async () => {
    await expectRefused(
      "data.bin",
      "hello",
      [],
      "expected a .npz archive, a .csv table (with --target)",
    );
  });

  test("a missing file", async () => {
    const out = join(dir, "out-missing");
    const run = await cli("--data", join(dir, "nope.csv"), "--target", "y", "--out", out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("nope.csv: file not found");
    expect(existsSync(out)).toBe(false);
  });
});

describe("train --data: usage errors (exit 2)", () => {
  test.each([
    [["--data", "t.csv"], "--target COLUMN: required with a CSV table"],
    [["--target", "y"], "--target: needs --data FILE.csv"],
    [["--data", "m.npz", "--test-split", "0.1"], "--test-split: applies to a CSV table"],
    [
      ["--data", "t.csv", "--target", "y", "--test-split", "1"],
      "--test-split: expected a number from 0 up to 1",
    ],
    [
      ["--data", "t.csv", "--target", "y", "--test", "u.csv", "--test-split", "0.2"],
      "--test-split: not with --test",
    ],
    [["--data", "t.csv", "--target", "y", "--impute", "median"], '--impute: expected "mean"'],
    [
      ["--data", "t.csv", "--target", "y", "--task", "ranking"],
      "--task: expected classification or regression",
    ],
    [["--data", "t.csv", "--target", "y", "--delimiter", "|"], "--delimiter: expected , ; or tab"],
    [
      ["--data", "t.csv", "--target", "y", "--features", "a,,b"],
      "--features: expected column names",
    ],
  ])("%p", async (args, message) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
