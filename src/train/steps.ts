import { AbortedError, NonFiniteError } from "../collective/collective.ts";
import { raceAbort, sleep } from "./cancel.ts";

/**
 * Slots whose participants failed during a step (threw, left, hung, or sent values that are
 * not finite), to be replaced.
 */
export class StepFailure extends Error {
  constructor(
    readonly workers: number[],
    message: string,
    /** Set when every one of them failed for a non-finite loss or gradient. */
    readonly nonFinite?: NonFiniteError,
  ) {
    super(message);
  }
}

/** How long the healthy participants get to notice a cancelled attempt and stop. */
const FAILURE_GRACE_MS = 2000;

/** One participant's part in an attempt at the rest of an epoch. */
export interface AttemptPart {
  /** The slots it computes: replaced together when it fails. */
  readonly slots: readonly number[];
  /** How failure messages name it. */
  readonly label: string;
  /**
   * Settles when the part stops: resolves after its last step; rejects with why it failed, or
   * with an AbortedError when it stopped because the attempt was cancelled.
   */
  readonly finished: Promise<unknown>;
  /** For a part still running after the grace: true when it only waits for the others. */
  readonly waiting?: () => boolean;
}

export interface Supervision {
  readonly parts: readonly AttemptPart[];
  /** Steps the run has completed: the watchdog's clock. */
  readonly stepsDone: () => number;
  readonly stepTimeoutMs: number;
  /** The run's signal. */
  readonly signal: AbortSignal;
  /** The attempt's: aborted when a part fails (or the run is), which stops every part. */
  readonly attempt: AbortController;
}

/**
 * Waits for every part to finish the attempt. If one fails (an error, a crash, a lost
 * connection, or no step finishing within the deadline), cancels the attempt — the others stop
 * at their next barrier, leaving the last completed step's state intact — and throws a
 * StepFailure naming the slots to replace.
 */
export async function superviseAttempt(s: Supervision): Promise<void> {
  const { parts } = s;
  const settled = parts.map(() => false);
  const failed = new Map<number, Error>();
  const runs = parts.map((part, i) =>
    part.finished.then(
      () => {
        settled[i] = true;
      },
      (error: Error) => {
        settled[i] = true;
        if (error?.name !== AbortedError.name) failed.set(i, asError(error));
        throw error;
      },
    ),
  );
  const watchdog = stepWatchdog(s.stepsDone, s.stepTimeoutMs);
  try {
    await raceAbort(Promise.race([Promise.all(runs), watchdog.hung]), s.signal);
  } catch (error) {
    s.attempt.abort(error);
    if (s.signal.aborted) throw error;
    await Promise.race([Promise.allSettled(runs), sleep(FAILURE_GRACE_MS)]);
    const lost = parts.flatMap((p, i) =>
      failed.has(i) || (!settled[i] && !p.waiting?.()) ? [i] : [],
    );
    if (lost.length === 0) throw error;
    const why = (i: number) =>
      failed.get(i)?.message ?? `stopped answering (${asError(error).message})`;
    const nonFinite = lost.map((i) => NonFiniteError.fromMessage(failed.get(i)?.message ?? ""));
    throw new StepFailure(
      lost.flatMap((i) => parts[i].slots),
      lost.map((i) => `${parts[i].label}: ${why(i)}`).join("; "),
      nonFinite.every(Boolean) ? nonFinite[0] : undefined,
    );
  } finally {
    watchdog.stop();
  }
}

/** Rejects `hung` when no step completes within `timeoutMs`. */
function stepWatchdog(stepsDone: () => number, timeoutMs: number) {
  let timer: ReturnType<typeof setInterval> | undefined;
  const hung = new Promise<never>((_, reject) => {
    let last = stepsDone();
    let since = performance.now();
    timer = setInterval(
      () => {
        const done = stepsDone();
        if (done !== last) {
          last = done;
          since = performance.now();
        } else if (performance.now() - since > timeoutMs) {
          reject(new Error(`no step finished within ${timeoutMs} ms`));
        }
      },
      Math.min(1000, timeoutMs / 4),
    );
  });
  hung.catch(() => {});
  return { hung, stop: () => clearInterval(timer) };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
