import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** File access for the CLIs and the coordinator (Bun and Deno both provide node:fs). */
export async function readBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

/** Reads `path`, or `path.gz` when only the gzipped file exists. */
export async function readMaybeGz(path: string): Promise<{ bytes: Uint8Array; file: string }> {
  try {
    return { bytes: await readBytes(path), file: path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    try {
      return { bytes: await readBytes(`${path}.gz`), file: `${path}.gz` };
    } catch (gzError) {
      if ((gzError as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error(`${path}: file not found (nor ${path}.gz)`);
      }
      throw gzError;
    }
  }
}

/**
 * Writes files into `dir` so that none is ever seen half-written: each goes to a temporary
 * name first and is renamed into place once complete.
 */
export async function writeFilesAtomically(
  dir: string,
  files: Record<string, Uint8Array | string>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const suffix = `.tmp-${crypto.randomUUID().slice(0, 8)}`;
  const names = Object.keys(files);
  try {
    for (const name of names) await writeFile(join(dir, name + suffix), files[name]);
    for (const name of names) await rename(join(dir, name + suffix), join(dir, name));
  } catch (error) {
    await Promise.all(names.map((name) => rm(join(dir, name + suffix), { force: true })));
    throw error;
  }
}
