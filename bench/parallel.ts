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

async function runThreads(threads: number, ms: number): Promise<number[]> {
  const url = new URL("./matmul-worker.ts", import.meta.url);
  const workers = Array.from({ length: threads }, () => new Worker(url, { type: "module" }));
  try {
    const next = (w: Worker) =>
      new Promise<Record<string, number>>((resolve, reject) => {
        w.onmessage = (e) => resolve(e.data);
        w.onerror = (e) => reject(new Error(`matmul worker: ${e.message}`));
      });
    const ready = workers.map(next);
    for (const w of workers) w.postMessage({ ms });
    await Promise.all(ready);
    const done = workers.map(next);
    for (const w of workers) w.postMessage("go");
    return (await Promise.all(done)).map((r) => r.msPerCall);
  } finally {
    for (const w of workers) w.terminate();
  }
}

export async function parallelProbe(threadCounts: number[], ms = 1500): Promise<ParallelProbe[]> {
  const rows: ParallelProbe[] = [];
  let single = Number.NaN;
  for (const threads of threadCounts) {
    const stop = cpuWindow();
    const msPerCall = await runThreads(threads, ms);
    const cpu = stop();
    const mean = msPerCall.reduce((a, b) => a + b, 0) / msPerCall.length;
    if (threads === 1) single = mean;
    rows.push({ threads, msPerCall, scaling: (threads * single) / mean, cpu });
  }
  return rows;
}
