/** What `train --data` reads: arrays with the model's io, an IDX folder, and the lines it prints. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTrainingData } from "../../src/adapter/fs/training-data.ts";
import type { DenseInputs } from "../../src/core/data/arrays.ts";
import { encodeNpy } from "../../src/core/data/npy.ts";
import { npzBytes } from "../support/keras-npz.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-training-data-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const arrays = {
  x_train: {
    dtype: "|u1",
    shape: [3, 2, 2],
    data: Uint8Array.of(0, 51, 255, 102, 0, 0, 0, 0, 1, 2, 3, 4),
  },
  y_train: { dtype: "<i8", shape: [3], data: BigInt64Array.of(0n, 2n, 1n) },
  x_test: { dtype: "|u1", shape: [1, 2, 2], data: Uint8Array.of(255, 255, 0, 0) },
  y_test: { dtype: "<i8", shape: [1], data: BigInt64Array.of(1n) },
};

describe("readTrainingData", () => {
  test("uint8 images from an .npz are scaled by 1/255 and served as pixels", async () => {
    const file = join(dir, "images.npz");
    await writeFile(file, npzBytes(arrays, true));
    const read = await readTrainingData({ kind: "path", path: file });
    expect(Array.from((read.data!.train.x as DenseInputs).data.subarray(0, 4))).toEqual(
      [0, 51, 255, 102].map((v) => Math.fround(v / 255)),
    );
    expect(read.data!.train.x.shape).toEqual([3, 2, 2]);
    expect(read.io).toEqual({
      input: { kind: "pixels" },
      output: { task: "classification", classNames: ["0", "1", "2"] },
    });
    expect(read.report.join("\n")).toContain(
      "train 3×2×2, test 1×2×2 (uint8 images, scaled by 1/255)",
    );
    expect(read.report.join("\n")).toContain("task: classification (3 classes)");
  });

  test("float arrays in a folder of .npy files are kept as they are: numbers in, a value out", async () => {
    const folder = join(dir, "npy");
    await mkdir(folder);
    const x = (n: number) => ({
      dtype: "<f4",
      shape: [n, 2],
      data: Float32Array.from({ length: 2 * n }, (_, i) => i * 300),
    });
    const y = (n: number) => ({
      dtype: "<f4",
      shape: [n],
      data: Float32Array.from({ length: n }, (_, i) => i + 0.5),
    });
    for (const [name, array] of Object.entries({
      x_train: x(3),
      y_train: y(3),
      x_test: x(2),
      y_test: y(2),
    })) {
      await writeFile(join(folder, `${name}.npy`), encodeNpy(array));
    }
    const read = await readTrainingData({ kind: "path", path: folder });
    expect((read.data!.train.x as DenseInputs).data[5]).toBe(1500);
    expect(read.io).toEqual({
      input: { kind: "numbers" },
      output: { task: "regression", outputs: 1 },
    });
    expect(read.report).toContain("task: regression (1 output)");
  });

  test("a folder without .npy files is an IDX folder for the MNIST loader", async () => {
    const read = await readTrainingData({ kind: "path", path: dir });
    expect(read).toEqual({ dataDir: dir, report: [] });
  });

  test("a CSV: what was read, dropped and split, and the task", async () => {
    const file = join(dir, "t.csv");
    const rows = Array.from(
      { length: 10 },
      (_, i) => `${i},${i % 3 === 0 ? "red" : "blue"},${i < 5 ? "no" : "yes"}`,
    );
    await writeFile(file, `n,colour,label\n${rows.join("\n")}\n,red,no\n3,blue,\n`);
    const read = await readTrainingData({
      kind: "csv",
      file,
      table: { target: "label", testSplit: 0.2, seed: 1 },
    });
    expect(read.report).toEqual([
      `read ${file}: 12 rows; 2 input columns (1 numbers, 1 strings → 4 inputs), target "label"`,
      "dropped 2 rows with missing values (1 target, 1 inputs)",
      `train 8 rows, test 2 rows (0.2 of ${file}, seed 1)`,
      "task: classification (2 classes: no, yes)",
    ]);
    expect(read.io?.input.kind).toBe("table");
    expect(read.io?.output).toEqual({ task: "classification", classNames: ["no", "yes"] });
  });
});
