/**
 * PyTorch as the reference rows of `bun run bench`: bench/pytorch/{mlp,multihot,convnet}.py
 * train the same models on the same machine, in the same run, so the comparison is not one of
 * numbers measured on different days. Each runs in every thread setting of 1–2 torch threads ×
 * 1–2 BLAS threads (torch.set_num_threads, OPENBLAS_NUM_THREADS), on the OpenBLAS kernel
 * of the CPU's instruction set (`blasCoreForCpu`), and the best is the reference. Optional: shardfit never depends on Python; without a python3 that imports torch
 * the rows say so and how to get it.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
/** `SHARDFIT_PYTHON` first; Debian's python3-torch lives under /usr/bin. */
const CANDIDATES = [process.env.SHARDFIT_PYTHON, "python3", "/usr/bin/python3"];

/** Torch threads × BLAS threads. */
export interface ThreadSetting {
  readonly torch: number;
  readonly blas: number;
}

export const THREAD_SETTINGS: readonly ThreadSetting[] = [
  { torch: 1, blas: 1 },
  { torch: 1, blas: 2 },
  { torch: 2, blas: 1 },
  { torch: 2, blas: 2 },
];

/**
 * Tuning variables that would pin OpenBLAS to a kernel or cache size chosen for another
 * machine: dropped from the child's environment only (recorded with each row).
 */
const BLAS_OVERRIDES = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

/**
 * The OpenBLAS kernel for this CPU's instruction set, read from /proc/cpuinfo's flags.
 * OpenBLAS's own detection goes by CPU model and falls back to Prescott (SSE3) on one it
 * does not know, such as a KVM guest's generic "Intel Xeon Processor": there PyTorch's MLP ran
 * at 22,357 samples/s on Prescott and 45,908 on SkylakeX (1 torch, 2 BLAS threads). Undefined
 * (OpenBLAS decides) where the flags cannot be read.
 */
export function blasCoreForCpu(cpuinfo = readCpuinfo()): string | undefined {
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? []);
  const all = (...names: string[]) => names.every((n) => flags.has(n));
  if (all("avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd")) return "SkylakeX";
  if (all("avx2", "fma")) return "Haswell";
  return undefined;
}

function readCpuinfo(): string {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return "";
  }
}

const BLAS_CORE = blasCoreForCpu();

export type PytorchRow =
  | {
      readonly torch: string;
      readonly setting: ThreadSetting;
      readonly samplesPerSecond: number;
      /** The BLAS the process loaded: library, core kernel, config (or torch's build config). */
      readonly blas: Record<string, unknown>;
      /** Variables removed from the child's environment. */
      readonly unset: readonly string[];
    }
  | { readonly setting: ThreadSetting; readonly error: string };

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

/** One run of bench/pytorch/`script` with `args` in one thread setting; its last JSON line. */
export async function pytorchRow(
  python: string | undefined,
  script: string,
  args: readonly string[],
  setting: ThreadSetting,
): Promise<PytorchRow> {
  if (!python) {
    return {
      setting,
      error: "no python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread)",
    };
  }
  const env: Record<string, string | undefined> = { ...process.env };
  const unset = BLAS_OVERRIDES.filter((name) => env[name] !== undefined);
  for (const name of unset) delete env[name];
  if (BLAS_CORE) env.OPENBLAS_CORETYPE = BLAS_CORE;
  env.OPENBLAS_NUM_THREADS = String(setting.blas);
  const path = join(import.meta.dir, "pytorch", script);
  try {
    const { stdout } = await run(python, [path, ...args, "--threads", String(setting.torch)], {
      timeout: 600_000,
      env,
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    return {
      torch: out.torch,
      setting,
      samplesPerSecond: out.samplesPerSecond,
      blas: out.blas ?? {},
      unset,
    };
  } catch (error) {
    return { setting, error: `bench/pytorch/${script} failed: ${(error as Error).message}` };
  }
}

/** Every thread setting once, in an order rotated by `rep` (so none always runs first). */
export async function pytorchSettings(
  python: string | undefined,
  script: string,
  args: readonly string[],
  rep: number,
): Promise<PytorchRow[]> {
  const n = THREAD_SETTINGS.length;
  const order = THREAD_SETTINGS.map((_, i) => THREAD_SETTINGS[(i + rep) % n]);
  const rows: PytorchRow[] = [];
  for (const setting of order) rows.push(await pytorchRow(python, script, args, setting));
  return rows;
}

export const settingName = ({ torch, blas }: ThreadSetting) => `${torch}/${blas}`;

/** Per setting, the median of its repetitions' samples/s (or the first error). */
export function pytorchMedians(rows: readonly PytorchRow[]) {
  return THREAD_SETTINGS.map((setting) => {
    const mine = rows.filter((r) => settingName(r.setting) === settingName(setting));
    const ok = mine.flatMap((r) => ("samplesPerSecond" in r ? [r] : []));
    if (ok.length === 0 || ok.length < mine.length) {
      const error = mine.find((r) => "error" in r);
      return { setting, error: error && "error" in error ? error.error : "no runs" };
    }
    const values = ok.map((r) => r.samplesPerSecond).sort((a, b) => a - b);
    return {
      setting,
      samplesPerSecond: values[Math.floor((values.length - 1) / 2)],
      range: [values[0], values[values.length - 1]] as const,
      torch: ok[0].torch,
      blas: ok[0].blas,
      unset: ok[0].unset,
    };
  });
}

export type PytorchMedian = ReturnType<typeof pytorchMedians>[number];

/** The fastest setting by median samples/s, or undefined when none ran. */
export function bestSetting(medians: readonly PytorchMedian[]) {
  let best: (PytorchMedian & { samplesPerSecond: number }) | undefined;
  for (const m of medians) {
    if ("samplesPerSecond" in m && m.samplesPerSecond !== undefined) {
      if (!best || m.samplesPerSecond > best.samplesPerSecond) best = m;
    }
  }
  return best;
}

/** A short name for the BLAS a row used ("OpenBLAS 0.3.21 … SkylakeX", or torch's config line). */
export function blasName(blas: Record<string, unknown> | undefined): string {
  if (!blas) return "unknown";
  if (typeof blas.core === "string") {
    return `${String(blas.config ?? "")
      .split(" ")
      .slice(0, 2)
      .join(" ")} (${blas.core} kernels, ${blas.library})`;
  }
  const config = String(blas.torchConfig ?? "");
  return /BLAS_INFO=([^,]+)/.exec(config)?.[1] ?? "unknown";
}
