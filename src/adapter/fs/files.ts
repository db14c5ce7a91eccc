import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** File access for the CLIs and the coordinator (Bun and Deno both provide node:fs). */

/**
 * Reads a file, or `undefined` when it does not exist. Any other failure is an error naming
 * the path and `what` the file should hold.
 */
export async function readIfExists(path: string, what: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${path}: cannot read the ${what}: ${(error as Error).message}`);
  }
}

/** Reads a file that must exist; a missing one is an error naming it, what it is, and `hint`. */
export async function readRequired(path: string, what: string, hint = ""): Promise<Uint8Array> {
  const bytes = await readIfExists(path, what);
  if (bytes) return bytes;
  throw new Error(`${path}: file not found (expected the ${what}${hint ? `; ${hint}` : ""})`);
}

/** Reads `path`, or `path.gz` when only the gzipped file exists. */
export async function readMaybeGz(
  path: string,
  what: string,
): Promise<{ bytes: Uint8Array; file: string }> {
  for (const file of [path, `${path}.gz`]) {
    const bytes = await readIfExists(file, what);
    if (bytes) return { bytes, file };
  }
  throw new Error(`${path}: file not found (nor ${path}.gz; expected the ${what})`);
}

/**
 * Writes files into `dir` so that none is ever seen half-written: each goes to a temporary
 * name first and is renamed into place once complete, in the order given.
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
