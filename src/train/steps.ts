import type { SharedPlane } from "../collective/shared-memory.ts";
import type { WorkerPlan } from "../core/data/plan.ts";
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

/** What one attempt at the rest of an epoch needs. */
export interface StepAttempt {
  readonly members: PoolMember[];
  readonly plane: SharedPlane;
  readonly plans: WorkerPlan[];
  /** First step of the epoch to run. */
  readonly fromStep: number;
  readonly stepTimeoutMs: number;
  readonly aborted: Promise<never>;
}

/**
 * Runs the plan's remaining steps on every worker. If one fails (an error, a crash, or no
 * step finishing within the deadline), aborts the others — they stop at their next barrier,
 * leaving the last completed step's state intact — and throws which workers to replace.
 */
export async function runSteps(attempt: StepAttempt): Promise<void> {
  const { members, plane, plans, fromStep } = attempt;
  plane.resetBarrier();
  const globalStep = plane.stepsDone;
  const settled = new Array<boolean>(members.length).fill(false);
  const failed = new Map<number, string>();
  const runs = members.map((m, w) =>
    Promise.race([m.api.runEpoch({ plan: plans[w], fromStep, globalStep }), m.failed])
      .catch((error: Error) => {
        if (error?.name !== "AbortedError") failed.set(w, error?.message ?? String(error));
        throw error;
      })
      .finally(() => {
        settled[w] = true;
      }),
  );
  const watchdog = stepWatchdog(plane, attempt.stepTimeoutMs);
  try {
    await Promise.race([Promise.all(runs), watchdog.hung, attempt.aborted]);
  } catch (error) {
    plane.abort();
    if ((error as Error)?.name === "AbortError") throw error;
    // Give the healthy workers a moment to notice the abort and return.
    await Promise.race([Promise.allSettled(runs), sleep(2000)]);
    const lost = [...failed.keys()];
    for (let w = 0; w < members.length; w++) if (!settled[w] && !lost.includes(w)) lost.push(w);
    if (lost.length === 0) throw error;
    const reasons = lost
      .map((w) => `worker ${w}: ${failed.get(w) ?? "stopped answering"}`)
      .join("; ");
    throw new StepFailure(lost, reasons);
  } finally {
    watchdog.stop();
  }
}

/** Rejects `hung` when no step completes within `timeoutMs`. */
function stepWatchdog(plane: SharedPlane, timeoutMs: number) {
  let timer: ReturnType<typeof setInterval> | undefined;
  const hung = new Promise<never>((_, reject) => {
    let lastDone = plane.stepsDone;
    let lastChange = performance.now();
    timer = setInterval(
      () => {
        const done = plane.stepsDone;
        if (done !== lastDone) {
          lastDone = done;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > timeoutMs) {
          reject(new Error(`no step finished within ${timeoutMs} ms`));
        }
      },
      Math.min(1000, timeoutMs / 4),
    );
  });
  return { hung, stop: () => clearInterval(timer) };
}

/** Rejects with the signal's reason when it aborts (never settles without a signal). */
export function abortPromise(signal?: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  promise.catch(() => {});
  return promise;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
