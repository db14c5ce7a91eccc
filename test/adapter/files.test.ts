import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  readIfExists,
  readMaybeGz,
  readRequired,
  writeFilesAtomically,
} from "../../src/adapter/fs/files.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-files-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("file helpers", () => {
  test("readIfExists: bytes, or undefined for a missing file", async () => {
    await writeFile(join(dir, "a"), "abc");
    expect(await readIfExists(join(dir, "a"), "test file")).toEqual(new Uint8Array([97, 98, 99]));
    expect(await readIfExists(join(dir, "nope"), "test file")).toBeUndefined();
  });

  test("a directory where a file should be is an error naming path and purpose", async () => {
    await mkdir(join(dir, "adir"));
    await expect(readIfExists(join(dir, "adir"), "model weights")).rejects.toThrow(
      `${join(dir, "adir")}: cannot read the model weights:`,
    );
  });

  test("readRequired names the missing file, what it holds and the hint", async () => {
    await expect(
      readRequired(join(dir, "m.json"), "model topology", "train first"),
    ).rejects.toThrow(
      `${join(dir, "m.json")}: file not found (expected the model topology; train first)`,
    );
  });

  test("readMaybeGz prefers the raw file, falls back to .gz, and names both when neither exists", async () => {
    await writeFile(join(dir, "x.gz"), "gz");
    expect((await readMaybeGz(join(dir, "x"), "IDX file")).file).toBe(join(dir, "x.gz"));
    await writeFile(join(dir, "x"), "raw");
    expect((await readMaybeGz(join(dir, "x"), "IDX file")).file).toBe(join(dir, "x"));
    await expect(readMaybeGz(join(dir, "y"), "IDX file")).rejects.toThrow(
      `${join(dir, "y")}: file not found (nor ${join(dir, "y")}.gz; expected the IDX file)`,
    );
  });

  test("writeFilesAtomically: a failed write leaves the old files and no temporary one", async () => {
    const out = join(dir, "out");
    await writeFilesAtomically(out, { "a.txt": "old" });
    // The second file's directory does not exist: its write fails after a.txt's temp is written.
    const failing = writeFilesAtomically(out, { "a.txt": "new", "missing/b.txt": "x" });
    await expect(failing).rejects.toThrow("ENOENT");
    expect(await readdir(out)).toEqual(["a.txt"]);
    expect(await readFile(join(out, "a.txt"), "utf8")).toBe("old");
  });
});
