import type { WorkerPlan } from "../core/plan.ts";
import type { Plane } from "./plane.ts";
import type { PoolMember } from "./pool.ts";

/** Workers that failed during a step (threw, exited or hung), to be replaced. */
export class StepFailure extends Error {
  constructor(
    readonly workers: number[],
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs the plan's remaining steps on every worker. If one fails (an error, a crash, or no
 * step finishing within the deadline), aborts the others — they stop at their next barrier,
 * leaving the last completed step's state intact — and throws which workers to replace.
 */
export async function runSteps(
  pool: PoolMember[],
  plane: Plane,
  plans: WorkerPlan[],
  fromStep: number,
  stepTimeoutMs: number,
  aborted: Promise<never>,
) {
  plane.resetBarrier();
  const globalStep = plane.stepsDone;
  const settled = new Array<boolean>(pool.length).fill(false);
  const failed = new Map<number, string>();
  const runs = pool.map((m, w) =>
    Promise.race([m.api.runEpoch({ plan: plans[w], fromStep, globalStep }), m.failed])
      .catch((error: Error) => {
        if (error?.name !== "AbortedError") failed.set(w, error?.message ?? String(error));
        throw error;
      })
      .finally(() => {
        settled[w] = true;
      }),
  );
  let watchdog: ReturnType<typeof setInterval> | undefined;
  const hung = new Promise<never>((_, reject) => {
    let lastDone = plane.stepsDone;
    let lastChange = performance.now();
    watchdog = setInterval(
      () => {
        const done = plane.stepsDone;
        if (done !== lastDone) {
          lastDone = done;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > stepTimeoutMs) {
          reject(new Error(`no step finished within ${stepTimeoutMs} ms`));
        }
      },
      Math.min(1000, stepTimeoutMs / 4),
    );
  });
  try {
    await Promise.race([Promise.all(runs), hung, aborted]);
  } catch (error) {
    plane.abort();
    if ((error as Error)?.name === "AbortError") throw error;
    // Give the healthy workers a moment to notice the abort and return.
    await Promise.race([Promise.allSettled(runs), sleep(2000)]);
    const lost = [...failed.keys()];
    for (let w = 0; w < pool.length; w++) if (!settled[w] && !lost.includes(w)) lost.push(w);
    if (lost.length === 0) throw error;
    const reasons = lost
      .map((w) => `worker ${w}: ${failed.get(w) ?? "stopped answering"}`)
      .join("; ");
    throw new StepFailure(lost, reasons);
  } finally {
    clearInterval(watchdog);
  }
}

/** Rejects with the signal's AbortError when it aborts (never settles without a signal). */
export function abortPromise(signal?: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  promise.catch(() => {});
  return promise;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
