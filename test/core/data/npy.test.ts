import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync, zipSync } from "fflate";
import { arraysFromNpyDir, arraysFromNpz } from "../../../src/adapter/fs/array-files.ts";
import { readTrainingData } from "../../../src/adapter/fs/training-data.ts";
import type { DenseInputs } from "../../../src/core/data/arrays.ts";
import type { SparseRows } from "../../../src/core/data/csr.ts";
import { denseInputs, isSparseRows, samplesFromArrays } from "../../../src/core/data/dataset.ts";
import { DataFileError } from "../../../src/core/data/error.ts";
import { arrayDatasetFromKerasArrays } from "../../../src/core/data/keras-arrays.ts";
import { encodeNpy, parseNpy } from "../../../src/core/data/npy.ts";
import { crc32, parseNpz } from "../../../src/core/data/npz.ts";

/** Files written by NumPy (test/fixtures/npy/make_fixtures.py says what each holds). */
const FIXTURES = join(import.meta.dir, "../../fixtures/npy");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const values = (data: ArrayLike<number | bigint>) => Array.from(data, Number);

describe(".npy reader on NumPy-written files", () => {
  test.each(["u1", "u2", "u4", "u8"])("unsigned %s: i*7 in shape (2, 3)", (d) => {
    const array = parseNpy(fixture(`dtype-${d}.npy`), d);
    expect(array.shape).toEqual([2, 3]);
    expect(values(array.data)).toEqual([0, 7, 14, 21, 28, 35]);
  });

  test.each(["i1", "i2", "i4", "i8", "f2", "f4", "f8"])("signed %s: i*7-5 in shape (2, 3)", (d) => {
    const array = parseNpy(fixture(`dtype-${d}.npy`), d);
    expect(array.dtype.slice(1)).toBe(d);
    expect(array.shape).toEqual([2, 3]);
    expect(values(array.data)).toEqual([-5, 2, 9, 16, 23, 30]);
  });

  test("typed arrays match the dtype", () => {
    expect(parseNpy(fixture("dtype-i8.npy"), "x").data).toBeInstanceOf(BigInt64Array);
    expect(parseNpy(fixture("dtype-f2.npy"), "x").data).toBeInstanceOf(Float32Array);
    expect(parseNpy(fixture("dtype-u2.npy"), "x").data).toBeInstanceOf(Uint16Array);
  });

  test("data is a view of a file's own buffer, a copy out of a larger one", () => {
    const bytes = fixture("dtype-f4.npy");
    expect(parseNpy(bytes, "own").data.buffer).toBe(bytes.buffer);
    const inArchive = new Uint8Array(bytes.length + 64);
    inArchive.set(bytes, 64);
    const copied = parseNpy(inArchive.subarray(64), "member").data;
    expect(copied.buffer).not.toBe(inArchive.buffer);
    expect(values(copied)).toEqual([-5, 2, 9, 16, 23, 30]);
  });

  test("bool and fractional float32", () => {
    expect(values(parseNpy(fixture("dtype-b1.npy"), "b").data)).toEqual([0, 1, 0, 1, 0, 1]);
    const f = parseNpy(fixture("float-fractions-f4.npy"), "f");
    expect(f.shape).toEqual([5]);
    expect(values(f.data)).toEqual(
      [0, 1, 2, 3, 4].map((i) => Math.fround(Math.fround(i / 3) - 0.5)),
    );
  });

  test.each(["version-2.npy", "version-3.npy"])("format %s", (name) => {
    const array = parseNpy(fixture(name), name);
    expect(array.shape).toEqual([3, 4]);
    expect(values(array.data)).toEqual(Array.from({ length: 12 }, (_, i) => i / 4));
  });

  test.each([
    ["fortran-order.npy", /Fortran-order arrays are not supported/],
    ["big-endian.npy", /big-endian dtype '>i4' is not supported/],
    ["object.npy", /object arrays \(dtype=object\) are not supported/],
  ])("%s is refused by name", (name, message) => {
    expect(() => parseNpy(fixture(name), name)).toThrow(DataFileError);
    expect(() => parseNpy(fixture(name), name)).toThrow(message);
    expect(() => parseNpy(fixture(name), name)).toThrow(name);
  });

  test("truncated data and a shape that disagrees with the bytes: expected vs got", () => {
    const bytes = fixture("dtype-f4.npy");
    expect(() => parseNpy(bytes.subarray(0, bytes.length - 3), "t.npy")).toThrow(
      "t.npy: shape (2, 3) of '<f4' needs 24 data bytes, got 21 (truncated?)",
    );
    expect(() => parseNpy(bytes.subarray(0, 20), "t.npy")).toThrow(/truncated header/);
    const grown = new Uint8Array(bytes.length + 4);
    grown.set(bytes);
    expect(() => parseNpy(grown, "t.npy")).toThrow("needs 24 data bytes, got 28");
  });

  test("a header claiming a huge shape fails before allocating", () => {
    const header = encodeNpy({ dtype: "<f8", shape: [1], data: new Float64Array(1) });
    // Same header length: the longer shape takes the place of ten padding spaces.
    const text = String.fromCharCode(...header)
      .replace("(1,)", "(99999999999,)")
      .replace("          \n", "\n");
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(bytes.length).toBe(header.length);
    expect(() => parseNpy(bytes, "huge.npy")).toThrow("needs 799999999992 data bytes, got 8");
  });

  test("round trip through the writer for every little-endian dtype", () => {
    const arrays = [
      new Uint8Array([1, 255]),
      new Int16Array([-300, 300]),
      new Uint32Array([4e9, 1]),
      new BigInt64Array([-5n, 2n ** 40n]),
      new Float64Array([Math.PI, -0]),
    ];
    const dtypes = ["|u1", "<i2", "<u4", "<i8", "<f8"];
    arrays.forEach((data, i) => {
      const back = parseNpy(encodeNpy({ dtype: dtypes[i], shape: [2, 1], data }), "r");
      expect(back.shape).toEqual([2, 1]);
      expect(back.data).toEqual(data);
    });
  });
});

describe(".npz reader", () => {
  const expectKerasImages = (data: Awaited<ReturnType<typeof arraysFromNpz>>) => {
    expect(data.train.x.shape).toEqual([5, 4, 3]);
    expect(values((data.train.x as DenseInputs).data)).toEqual(
      Array.from({ length: 60 }, (_, i) => i % 256),
    );
    expect(data.test.x.shape).toEqual([2, 4, 3]);
    expect(values((data.test.x as DenseInputs).data)).toEqual(
      Array.from({ length: 24 }, (_, i) => (i * 3) % 256),
    );
    expect(data.train.y).toEqual({
      kind: "classes",
      data: Int32Array.of(0, 2, 1, 2, 0),
      classes: 3,
    });
    expect(data.test.y).toEqual({ kind: "classes", data: Int32Array.of(1, 0), classes: 3 });
  };

  test.each(["keras-stored.npz", "keras-compressed.npz"])("%s: Keras layout", async (name) => {
    expectKerasImages(await arraysFromNpz(join(FIXTURES, name)));
  });

  test("a folder of the four .npy files", async () => {
    expectKerasImages(await arraysFromNpyDir(join(FIXTURES, "keras-dir")));
  });

  test("RGB images with one-hot rows; regression numbers", async () => {
    const rgb = await arraysFromNpz(join(FIXTURES, "rgb-onehot.npz"));
    expect(rgb.train.x.shape).toEqual([3, 2, 2, 3]);
    expect((rgb.train.x as DenseInputs).data[35]).toBe(Math.fround(3.5));
    expect(rgb.train.y).toEqual({
      kind: "one-hot",
      data: Float32Array.of(0, 0, 1, 1, 0, 0, 0, 1, 0),
      classes: 3,
    });
    const reg = await arraysFromNpz(join(FIXTURES, "regression.npz"));
    expect(reg.train.x.shape).toEqual([3, 2]);
    expect(reg.train.y).toEqual({
      kind: "numbers",
      data: Float32Array.of(0, 0.25, 0.5),
      outputs: 1,
    });
    expect(reg.test.y).toEqual({
      kind: "numbers",
      data: Float32Array.of(0.125, 0.375, 0.625),
      outputs: 1,
    });
  });

  test("a missing member names the members present", async () => {
    const path = join(FIXTURES, "missing-member.npz");
    await expect(arraysFromNpz(path)).rejects.toThrow(
      `${path}: missing y_test: expected arrays x_train, y_train, x_test, y_test (the Keras datasets layout), found x_train, y_train, x_test`,
    );
  });

  test("arrays of different lengths", async () => {
    await expect(arraysFromNpz(join(FIXTURES, "different-lengths.npz"))).rejects.toThrow(
      "x_train has 5 samples, y_train has 4: arrays of different lengths",
    );
  });

  test("a missing file or folder member is named", async () => {
    await expect(arraysFromNpz(join(FIXTURES, "nope.npz"))).rejects.toThrow("file not found");
    await expect(arraysFromNpyDir(FIXTURES)).rejects.toThrow("x_train.npy: file not found");
  });

  test("a truncated zip", () => {
    const bytes = fixture("keras-compressed.npz");
    for (const cut of [10, 200, bytes.length - 30, bytes.length - 1]) {
      expect(() => parseNpz(bytes.subarray(0, cut), "cut.npz")).toThrow(DataFileError);
    }
    expect(() => parseNpz(bytes.subarray(0, bytes.length - 1), "cut.npz")).toThrow(
      /cut\.npz: not a zip archive, or truncated/,
    );
  });

  test("a member that inflates beyond its declared size is stopped", () => {
    const npy = encodeNpy({ dtype: "|u1", shape: [4], data: new Uint8Array(4) });
    const zip = zipSync({ "x_train.npy": [npy, { level: 9 }] });
    // Lower the declared sizes in the central directory (and keep the CRC right for the
    // shortened member so that only the size check can fail).
    const eocd = zip.length - 22;
    const view = new DataView(zip.buffer);
    const central = view.getUint32(eocd + 16, true);
    view.setUint32(central + 24, npy.length - 2, true);
    view.setUint32(central + 16, crc32(npy.subarray(0, npy.length - 2)), true);
    expect(() => parseNpz(zip, "bomb.npz")).toThrow(
      `bomb.npz:x_train.npy: inflates to more than the ${npy.length - 2} bytes its zip entry declares`,
    );
  });

  test("a member declaring more than its deflated bytes can hold, or than the cap, is refused", () => {
    const npy = encodeNpy({ dtype: "|u1", shape: [4], data: new Uint8Array(4) });
    const zip = zipSync({ "x_train.npy": [npy, { level: 9 }] });
    const view = new DataView(zip.buffer);
    const central = view.getUint32(zip.length - 22 + 16, true);
    expect(() => parseNpz(zip, "small.npz", { maxMemberBytes: 100 })).toThrow(
      `declares ${npy.length} bytes, more than the 100 allowed per member`,
    );
    view.setUint32(central + 24, 2 ** 31, true);
    expect(() => parseNpz(zip, "liar.npz")).toThrow(/more than its \d+ deflated bytes can hold/);
  });

  test("a real bomb: 16 MiB of zeros in a few KiB is refused unless declared", () => {
    const zeros = new Uint8Array(16 * 2 ** 20);
    const compressed = deflateSync(zeros, { level: 9 });
    expect(compressed.length).toBeLessThan(100_000);
    const zip = zipSync({ "x_train.npy": [zeros, { level: 9 }] });
    const view = new DataView(zip.buffer);
    const central = view.getUint32(zip.length - 22 + 16, true);
    view.setUint32(central + 24, 1024, true);
    expect(() => parseNpz(zip, "bomb.npz")).toThrow("inflates to more than the 1024 bytes");
  });

  test("a corrupt stored member fails its CRC", () => {
    const npy = encodeNpy({ dtype: "|u1", shape: [4], data: Uint8Array.of(1, 2, 3, 4) });
    const zip = zipSync({ "x_train.npy": [npy, { level: 0 }] });
    zip[zip.indexOf(3, 30 + 11 + npy.length - 4)] = 9;
    expect(() => parseNpz(zip, "crc.npz")).toThrow("crc.npz:x_train.npy: CRC mismatch");
  });

  test("class labels from any integer dtype, classes counted over both splits", () => {
    const x = { dtype: "<f4", shape: [2, 1], data: Float32Array.of(1, 2) };
    const data = arrayDatasetFromKerasArrays(
      {
        x_train: x,
        y_train: { dtype: "<i8", shape: [2, 1], data: BigInt64Array.of(0n, 1n) },
        x_test: x,
        y_test: { dtype: "<u2", shape: [2], data: Uint16Array.of(3, 0) },
      },
      "mem",
    );
    expect(data.train.y).toEqual({ kind: "classes", data: Int32Array.of(0, 1), classes: 4 });
    expect(() =>
      arrayDatasetFromKerasArrays(
        {
          x_train: x,
          x_test: x,
          y_train: { dtype: "<i4", shape: [2], data: Int32Array.of(0, -1) },
          y_test: { dtype: "<i4", shape: [2], data: Int32Array.of(0, 1) },
        },
        "neg",
      ),
    ).toThrow("neg:y_train: label 1 is -1: class indices must be in 0..65535");
  });
});

describe("SciPy CSR inputs (scipy.sparse.save_npz) in a Keras-layout folder", () => {
  /** make_fixtures.py's csr_inputs: (i·7 + j·3) mod 11 = 0 holds (i+1)/2 + j/8, or 1. */
  const formula = (rows: number, ones: boolean) =>
    Float32Array.from({ length: rows * 50 }, (_, at) => {
      const [i, j] = [Math.floor(at / 50), at % 50];
      return (i * 7 + j * 3) % 11 === 0 ? (ones ? 1 : (i + 1) * 0.5 + j / 8) : 0;
    });

  test("x_train.npz and x_test.npz beside y_train.npy and y_test.npy: rows, as SciPy holds them", async () => {
    const data = await arraysFromNpyDir(join(FIXTURES, "sparse-dir"));
    const train = samplesFromArrays(data.train);
    expect(data.train.x.shape).toEqual([6, 50]);
    expect(isSparseRows(train.x)).toBe(true);
    expect(denseInputs(train, 0, 6)).toEqual(formula(6, false));
    const test_ = samplesFromArrays(data.test);
    expect((test_.x as SparseRows).value).toBeUndefined();
    expect(denseInputs(test_, 0, 3)).toEqual(formula(3, true));
    expect(data.train.y).toEqual({
      kind: "classes",
      data: Int32Array.of(0, 1, 0, 1, 0, 1),
      classes: 2,
    });
    const read = await readTrainingData({ kind: "path", path: join(FIXTURES, "sparse-dir") });
    expect(read.report[0]).toContain(
      "train 6×50 (CSR rows, 28 nonzero), test 3×50 (CSR rows, 14 nonzero)",
    );
  });

  test.each([
    [
      "sparse-csc.npz",
      "a SciPy 'csc' sparse matrix: only CSR is read; save it with scipy.sparse.save_npz(path, m.tocsr())",
    ],
    ["sparse-coo.npz", "a SciPy 'coo' sparse matrix: only CSR is read"],
    [
      "sparse-unsorted.npz",
      "row 0: index 1 after 4 (a row's indices must ascend): call m.sum_duplicates()",
    ],
  ])("%s as x_train.npz is refused: %s", async (file, message) => {
    const dir = await mkdtemp(join(tmpdir(), "shardfit-sparse-"));
    try {
      for (const name of ["y_train.npy", "x_test.npz", "y_test.npy"]) {
        await copyFile(join(FIXTURES, "sparse-dir", name), join(dir, name));
      }
      await copyFile(join(FIXTURES, file), join(dir, "x_train.npz"));
      await expect(arraysFromNpyDir(dir)).rejects.toThrow(
        `${join(dir, "x_train.npz")}: ${message}`,
      );
      await copyFile(join(FIXTURES, "sparse-dir", "x_train.npz"), join(dir, "x_train.npz"));
      await copyFile(join(FIXTURES, "keras-dir", "x_train.npy"), join(dir, "x_train.npy"));
      await expect(arraysFromNpyDir(dir)).rejects.toThrow(
        `${dir}: holds both x_train.npy and x_train.npz: keep one`,
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test("--data on one save_npz file says how to lay a sparse data set out", async () => {
    const file = join(FIXTURES, "sparse-dir", "x_train.npz");
    await expect(readTrainingData({ kind: "path", path: file })).rejects.toThrow(
      `${file}: holds one SciPy sparse matrix (scipy.sparse.save_npz), not a data set: put it in a folder as x_train.npz (and x_test.npz) beside y_train.npy and y_test.npy`,
    );
  });

  test("byte strings read as bytes, and are refused as inputs", () => {
    const format = parseNpz(readFileSync(join(FIXTURES, "sparse-coo.npz")), "coo.npz").format;
    expect(format.dtype).toBe("|S3");
    expect(new TextDecoder().decode(format.data as Uint8Array)).toBe("coo");
    const arrays = { x_train: format, y_train: format, x_test: format, y_test: format };
    expect(() => arrayDatasetFromKerasArrays(arrays, "s.npz")).toThrow(
      "s.npz: x_train holds byte strings ('|S3'), not numbers",
    );
  });
});
