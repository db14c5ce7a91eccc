/**
 * Can this machine run 2 matMul threads at once right now? Runs the same single-threaded
 * tfjs-wasm matMul loop in 1 and then in N threads with nothing shared between them; if N
 * threads are not ~N× faster in aggregate, data-parallel training cannot be either (busy
 * neighbours, SMT siblings, or a throttled VM).
 */
import { type CpuWindow, cpuWindow } from "./cpu.ts";

export interface ParallelProbe {
  threads: number;
  /** Mean ms per 64×784 · 784×512 matMul in each thread. */
  msPerCall: number[];
  /** Aggregate throughput relative to one thread alone. */
  scaling: number;
  cpu: CpuWindow;
}

/**
 * Starts one worker of `url` per message, waits until every one has warmed up, then lets them
 * all go at once; returns what each reports.
 */
async function runThreads(url: URL, messages: object[]): Promise<Record<string, number>[]> {
  const workers = messages.map(() => new Worker(url, { type: "module" }));
  try {
    const next = (w: Worker) =>
      new Promise<Record<string, number>>((resolve, reject) => {
        w.onmessage = (e) => resolve(e.data);
        w.onerror = (e) => reject(new Error(`${url.pathname}: ${e.message}`));
      });
    const ready = workers.map(next);
    workers.forEach((w, i) => {
      w.postMessage(messages[i]);
    });
    await Promise.all(ready);
    const done = workers.map(next);
    for (const w of workers) w.postMessage("go");
    return await Promise.all(done);
  } finally {
    for (const w of workers) w.terminate();
  }
}

export async function parallelProbe(threadCounts: number[], ms = 1500): Promise<ParallelProbe[]> {
  const rows: ParallelProbe[] = [];
  const url = new URL("./matmul-worker.ts", import.meta.url);
  let single = Number.NaN;
  for (const threads of threadCounts) {
    const stop = cpuWindow();
    const reports = await runThreads(url, Array(threads).fill({ ms }));
    const msPerCall = reports.map((r) => r.msPerCall);
    const cpu = stop();
    const mean = msPerCall.reduce((a, b) => a + b, 0) / msPerCall.length;
    if (threads === 1) single = mean;
    rows.push({ threads, msPerCall, scaling: (threads * single) / mean, cpu });
  }
  return rows;
}

/**
 * The same question for the worker's own training step (bench/step-worker.ts: the MLP's
 * `gradientsInto` on real MNIST batches, batch filling included): one thread stepping through
 * the whole global batch, then `threads` threads each stepping through its share at once, with
 * nothing shared and no barrier. Their throughput ratio is the most `threads` workers can gain
 * on this machine before any reduce, update or wait.
 */
export interface StepHeadroom {
  threads: number;
  /** Rows per step of the thread alone (the global batch). */
  batch: number;
  /** Mean ms per step of the thread alone. */
  aloneMs: number;
  /** Mean ms per step of each thread (batch / threads rows) while all run. */
  togetherMs: number[];
  /** Throughput of the threads together / throughput of the thread alone. */
  ceiling: number;
  /**
   * The same for threads in lockstep (as synchronous training runs them): every step waits for
   * the slowest thread, so aloneMs / max(togetherMs).
   */
  lockstepCeiling: number;
  cpu: CpuWindow;
}

export async function stepHeadroom(
  threads: number,
  batch: number,
  ms = 2000,
): Promise<StepHeadroom> {
  const url = new URL("./step-worker.ts", import.meta.url);
  const share = batch / threads;
  if (!Number.isInteger(share)) throw new Error(`step headroom: ${threads} ∤ batch ${batch}`);
  const [alone] = await runThreads(url, [{ ms, batch, offset: 0 }]);
  const stop = cpuWindow();
  const together = await runThreads(
    url,
    Array.from({ length: threads }, (_, t) => ({ ms, batch: share, offset: 30_000 * t })),
  );
  const cpu = stop();
  const togetherMs = together.map((r) => r.msPerStep);
  const aloneMs = alone.msPerStep;
  const ceiling = togetherMs.reduce((sum, t) => sum + aloneMs / (threads * t), 0);
  const lockstepCeiling = aloneMs / Math.max(...togetherMs);
  return { threads, batch, aloneMs, togetherMs, ceiling, lockstepCeiling, cpu };
}
