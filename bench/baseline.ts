/**
 * The source tree at another git revision, for interleaved A/B benchmarks (conv-ab, step-ab):
 * a temp directory with that revision's whole src/ and this tree's node_modules linked, so
 * both variants share one tfjs and its backend while every module of src/ is the baseline's.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "..");

export const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: repoRoot }).toString().trim();

/** The directory holding `ref`'s src/; import `<dir>/src/…` from it. */
export function baselineTree(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-baseline-"));
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  const archive = execFileSync("git", ["archive", ref, "src"], {
    cwd: repoRoot,
    maxBuffer: 1 << 28,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  return dir;
}
