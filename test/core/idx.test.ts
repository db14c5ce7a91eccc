import { describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { IDX_FILES, imageSetFromIdx } from "../../src/core/data/dataset.ts";
import { encodeIdx, IdxError, parseIdx } from "../../src/core/data/idx.ts";

describe("IDX reader", () => {
  test("the real MNIST files parse", async () => {
    const data = await loadIdxDataset();
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect([data.train.rows, data.train.cols]).toEqual([28, 28]);
    expect(Array.from(data.train.labels.subarray(0, 3))).toEqual([5, 0, 4]);
    expect(Array.from(data.test.labels.subarray(0, 3))).toEqual([7, 2, 1]);
    expect(data.train.images.length).toBe(60000 * 784);
  });

  test("reads .gz files and --data directories of any MNIST-format set", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardfit-idx-"));
    const images = new Uint8Array(5 * 4 * 4).map((_, i) => i % 256);
    const labels = Uint8Array.of(1, 2, 3, 4, 0);
    await writeFile(
      join(dir, `${IDX_FILES.trainImages}.gz`),
      gzipSync(encodeIdx([5, 4, 4], images)),
    );
    await writeFile(join(dir, IDX_FILES.trainLabels), encodeIdx([5], labels));
    await writeFile(join(dir, IDX_FILES.testImages), encodeIdx([2, 4, 4], images.subarray(0, 32)));
    await writeFile(
      join(dir, `${IDX_FILES.testLabels}.gz`),
      gzipSync(encodeIdx([2], labels.subarray(0, 2))),
    );
    const data = await loadIdxDataset(dir);
    expect(data.train.count).toBe(5);
    expect(Array.from(data.train.images)).toEqual(Array.from(images));
    expect(Array.from(data.test.labels)).toEqual([1, 2]);
  });

  test("a missing file names the path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardfit-idx-"));
    await expect(loadIdxDataset(dir)).rejects.toThrow(/train-images-idx3-ubyte: file not found/);
  });

  test("truncated data names the file and the byte counts", () => {
    const bytes = encodeIdx([3, 2, 2], new Uint8Array(12)).subarray(0, 20);
    expect(() => parseIdx(bytes, "x.idx", 3)).toThrow(
      "x.idx: truncated: dimensions 3×2×2 need 12 data bytes, found 4",
    );
    expect(() => parseIdx(new Uint8Array(2), "y.idx")).toThrow(/y.idx: truncated/);
    expect(() => parseIdx(new Uint8Array(0), "empty.idx")).toThrow(
      "empty.idx: truncated: expected at least a 4-byte header, got 0 bytes",
    );
    expect(() =>
      parseIdx(encodeIdx([3, 2, 2], new Uint8Array(12)).subarray(0, 10), "z.idx", 3),
    ).toThrow(/truncated header/);
  });

  test("wrong magic numbers name expected vs found", () => {
    const labels = encodeIdx([2], Uint8Array.of(1, 2));
    expect(() => parseIdx(labels, "labels.idx", 3)).toThrow(
      "labels.idx: wrong magic number: expected 0x00000803 (3-D), got 0x00000801 (1-D)",
    );
    const floats = Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 0);
    expect(() => parseIdx(floats, "f.idx", 1)).toThrow(
      /f.idx: wrong magic number: expected 0x00000801/,
    );
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0);
    expect(() => parseIdx(png, "p.idx")).toThrow(IdxError);
  });

  test("a huge header is refused without allocating", () => {
    const header = new Uint8Array(16);
    new DataView(header.buffer).setUint32(0, 0x803);
    for (const i of [4, 8, 12]) new DataView(header.buffer).setUint32(i, 0xffffffff);
    expect(() => parseIdx(header, "huge.idx", 3)).toThrow(
      /huge.idx: truncated: dimensions 4294967295×4294967295×4294967295/,
    );
  });

  test("image and label counts must agree; labels must be classes", async () => {
    const images = { bytes: encodeIdx([3, 2, 2], new Uint8Array(12)), file: "img" };
    await expect(
      imageSetFromIdx(images, { bytes: encodeIdx([2], Uint8Array.of(1, 2)), file: "lab" }),
    ).rejects.toThrow("lab: label count does not match img: expected 3 labels, got 2");
    await expect(
      imageSetFromIdx(images, { bytes: encodeIdx([3], Uint8Array.of(1, 2, 12)), file: "lab" }),
    ).rejects.toThrow("lab: label 2 is 12, expected a class in 0..9");
  });

  describe("a bad .gz file in a --data directory", () => {
    /** A valid 2-image set, with the training labels replaced by `trainLabelsGz`. */
    async function dirWithTrainLabels(trainLabelsGz: Uint8Array) {
      const dir = await mkdtemp(join(tmpdir(), "shardfit-idx-"));
      const images = encodeIdx([2, 2, 2], new Uint8Array(8));
      const labels = encodeIdx([2], Uint8Array.of(1, 2));
      await writeFile(join(dir, IDX_FILES.trainImages), images);
      await writeFile(join(dir, `${IDX_FILES.trainLabels}.gz`), trainLabelsGz);
      await writeFile(join(dir, IDX_FILES.testImages), images);
      await writeFile(join(dir, IDX_FILES.testLabels), labels);
      return { dir, path: join(dir, `${IDX_FILES.trainLabels}.gz`) };
    }

    test("corrupt gzip data is an IdxError naming the path and the decoder's reason", async () => {
      const gz = gzipSync(encodeIdx([2], Uint8Array.of(1, 2)));
      const { dir, path } = await dirWithTrainLabels(gz.subarray(0, gz.length - 6));
      const error = await loadIdxDataset(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IdxError);
      expect((error as IdxError).file).toBe(path);
      expect((error as IdxError).message).toMatch(
        new RegExp(`^${RegExp.escape(path)}: corrupt gzip data \\(.+\\)$`),
      );
    });

    test("gzipped but truncated IDX data names the path, expected vs found", async () => {
      const { dir, path } = await dirWithTrainLabels(
        gzipSync(encodeIdx([2], Uint8Array.of(1, 2)).subarray(0, 9)),
      );
      await expect(loadIdxDataset(dir)).rejects.toThrow(
        `${path}: truncated: dimensions 2 need 2 data bytes, found 1`,
      );
    });
  });
});
