/**
 * PyTorch as a reference row of `bun run bench -- --model convnet`: bench/pytorch/convnet.py
 * trains the same convnet on the same machine, in the same run, so the comparison is not one
 * of numbers measured on different days. Optional: shardfit never depends on Python; without
 * a python3 that imports torch the row says so and how to get it.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { defaultMnistDir } from "../src/adapter/fs/mnist.ts";

const run = promisify(execFile);
const SCRIPT = join(import.meta.dir, "pytorch", "convnet.py");
/** `SHARDFIT_PYTHON` first; Debian's python3-torch lives under /usr/bin. */
const CANDIDATES = [process.env.SHARDFIT_PYTHON, "python3", "/usr/bin/python3"];

export type PytorchRow =
  | { readonly torch: string; readonly threads: number; readonly samplesPerSecond: number }
  | { readonly error: string };

/** The first python that can import torch, or undefined. */
export async function findTorchPython(): Promise<string | undefined> {
  for (const python of CANDIDATES) {
    if (!python) continue;
    try {
      await run(python, ["-c", "import torch"], { timeout: 60_000 });
      return python;
    } catch {}
  }
  return undefined;
}

/** samples/s of `steps` timed batches of 64 (after 20 warm-up batches) on `threads` threads. */
export async function pytorchRow(
  python: string | undefined,
  steps: number,
  threads: number,
): Promise<PytorchRow> {
  if (!python) return { error: "no python3 with torch (Debian: apt-get install python3-torch)" };
  const args = [SCRIPT, "--data", defaultMnistDir(), "--steps", String(steps)];
  try {
    const { stdout } = await run(python, [...args, "--threads", String(threads)], {
      timeout: 600_000,
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    return { torch: out.torch, threads, samplesPerSecond: out.samplesPerSecond };
  } catch (error) {
    return { error: `bench/pytorch/convnet.py failed: ${(error as Error).message}` };
  }
}
