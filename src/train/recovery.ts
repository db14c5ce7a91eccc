import type { WorkerPlan } from "../core/data/plan.ts";
import type { Participants } from "./participants.ts";
import { StepFailure } from "./steps.ts";

/** Consecutive failures with no completed step in between that end a run. */
export const MAX_CONSECUTIVE_FAILURES = 3;

/** A run given up after repeated worker failures; the last checkpoint (if any) is kept. */
export class TrainingStopped extends Error {
  override name = "TrainingStopped";
}

/**
 * A run whose own loss (or weights) stopped being finite, as Keras's TerminateOnNaN stops one;
 * nothing with non-finite weights is saved, the last checkpoint (if any) is kept.
 */
export class TrainingDiverged extends Error {
  override name = "TrainingDiverged";
}

/** "diverged at epoch E, step S (loss NaN): lower --lr" (epoch and step counted from 1). */
export function divergedMessage(epoch: number, step: number | undefined, what: string): string {
  const at = step === undefined ? "" : `, step ${step + 1}`;
  return `diverged at epoch ${epoch + 1}${at} (${what}): lower --lr`;
}

export interface EpochSteps {
  readonly participants: Participants;
  readonly plans: WorkerPlan[];
  readonly epoch: number;
  /** `participants.stepsDone` when the epoch began. */
  readonly epochStart: number;
  readonly stepTimeoutMs: number;
  /** Called after failed workers were replaced, before the step is redone. */
  readonly onRecovered: (failure: StepFailure, step: number) => void;
  /** What the error says is kept, e.g. " The checkpoint after epoch 1 is in dir/." */
  readonly keptNote: () => string;
}

/**
 * Runs an epoch's steps to the end, replacing failed workers and redoing the failed step from
 * the intact state; stops the run after {@link MAX_CONSECUTIVE_FAILURES} failures in a row.
 */
export async function runEpochSteps(e: EpochSteps): Promise<void> {
  let failures = 0;
  let failedAt = -1;
  let nonFiniteAt = -1;
  for (;;) {
    const fromStep = e.participants.stepsDone - e.epochStart;
    try {
      const { participants, plans, stepTimeoutMs } = e;
      await participants.runEpoch({ plans, fromStep, stepTimeoutMs });
      return;
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      const done = e.participants.stepsDone;
      if (error.nonFinite) {
        // Every participant, or the one that replaced the first to report it: the run's own.
        if (error.workers.length === e.plans.length || nonFiniteAt === done) {
          const { loss } = error.nonFinite;
          const what = loss === undefined ? "non-finite gradient" : `loss ${loss}`;
          throw new TrainingDiverged(
            `${divergedMessage(e.epoch, done - e.epochStart, what)}.${e.keptNote()}`,
          );
        }
        nonFiniteAt = done;
      }
      // Failures count "in a row" only while no step completes in between.
      failures = e.participants.stepsDone === failedAt ? failures + 1 : 1;
      failedAt = e.participants.stepsDone;
      if (failures >= MAX_CONSECUTIVE_FAILURES) {
        throw new TrainingStopped(
          `training stopped: ${failures} worker failures in a row at epoch ${e.epoch + 1}, step ${fromStep + 1} (last: ${error.message}).${e.keptNote()}`,
        );
      }
      await e.participants.replace(error.workers);
      e.onRecovered(error, e.participants.stepsDone - e.epochStart);
    }
  }
}
