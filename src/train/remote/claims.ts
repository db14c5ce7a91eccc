import { FrameError } from "../../collective/wire.ts";
import type { WorkerPlan } from "../../core/data/plan.ts";
import type { Evaluated, Peer } from "./peer.ts";
import type { Stats } from "./reduce.ts";

/**
 * What a worker may claim. Holding the token makes it a participant, not a source of truth:
 * its statistics must match the samples its slots' plans hold, and its evaluation the test
 * samples of its slots. A claim that does not is a protocol error (the worker is dropped).
 */

/** The attempt in flight: who trains it and what their statistics may claim. */
export interface Attempt {
  readonly id: number;
  readonly peers: Peer[];
  /** The run's step count when it began and when its last step is done. */
  readonly startStep: number;
  readonly endStep: number;
  /** expectedSeen[p][k]: samples participant p has seen after k completed steps. */
  readonly expectedSeen: number[][];
}

/** Cumulative samples the slots see over the attempt's steps: [0, after 1 step, …]. */
export function seenAfter(
  plans: WorkerPlan[],
  slots: number[],
  fromStep: number,
  steps: number,
): number[] {
  const seen = [0];
  for (let k = 0; k < steps; k++) {
    const step = slots.reduce((a, slot) => a + plans[slot].counts[fromStep + k], 0);
    seen.push(seen[k] + step);
  }
  return seen;
}

/**
 * A peer's statistics after the run's `stepsDone`: only from a participant of the attempt, a
 * finite loss sum ≥ 0, 0 ≤ correct ≤ seen, and `seen` exactly (or, for an attempt that ended
 * early, at most) the samples its slots had in the attempt's completed steps.
 */
export function checkStats(
  attempt: Attempt | undefined,
  peer: Peer,
  stepsDone: number,
  [loss, correct, seen]: Stats,
  expect: "exactly" | "at most",
): void {
  const p = attempt?.peers.indexOf(peer) ?? -1;
  if (!attempt || p < 0) throw new FrameError("statistics from a worker that is not training");
  const expected = attempt.expectedSeen[p][stepsDone - attempt.startStep];
  const wrong =
    !Number.isFinite(loss) || loss < 0
      ? `a loss sum of ${loss}`
      : !Number.isInteger(correct) || correct < 0 || correct > seen
        ? `${correct} correct of ${seen}`
        : (expect === "exactly" ? seen !== expected : seen > expected)
          ? `${seen} samples seen, its slots had ${expected}`
          : undefined;
  if (wrong) throw new FrameError(`inconsistent statistics: ${wrong}`);
}

/** One result per slot of the peer, each counting exactly that slot's test samples. */
export function checkEvaluation(
  peer: Peer,
  evaluated: Evaluated,
  slotTestCount: (slot: number) => number,
): void {
  if (evaluated.results.length !== peer.threads) {
    throw new FrameError(
      `evaluated: ${evaluated.results.length} results for ${peer.threads} slots`,
    );
  }
  evaluated.results.forEach((r, i) => {
    const count = slotTestCount(peer.firstSlot + i);
    if (r.count !== count || r.correct > r.count) {
      throw new FrameError(
        `evaluated: results[${i}] has ${r.correct} correct of ${r.count}; slot ${peer.firstSlot + i} has ${count} test samples`,
      );
    }
  });
}
