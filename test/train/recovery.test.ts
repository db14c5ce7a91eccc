/**
 * runEpochSteps's rules for non-finite failures, on scripted participants: a participant's
 * non-finite values are its failure (replaced, the step redone); the run diverged when every
 * participant had them, or the replacement had them again at the same step.
 */
import { describe, expect, test } from "bun:test";
import { NonFiniteError } from "../../src/collective/collective.ts";
import type { WorkerPlan } from "../../src/core/data/plan.ts";
import type { Participants } from "../../src/train/participants.ts";
import { runEpochSteps, TrainingDiverged } from "../../src/train/recovery.ts";
import { StepFailure } from "../../src/train/steps.ts";

/** Three slots; each runEpoch call takes the next scripted outcome (a failure, or success). */
function scripted(outcomes: (StepFailure | undefined)[]) {
  const replaced: number[][] = [];
  const participants = {
    stepsDone: 5,
    runEpoch: async () => {
      const outcome = outcomes.shift();
      if (outcome) throw outcome;
    },
    replace: async (slots: number[]) => {
      replaced.push(slots);
    },
  } as unknown as Participants;
  const plans = Array.from({ length: 3 }, () => ({}) as WorkerPlan);
  const run = runEpochSteps({
    ...{ participants, plans, epoch: 0, epochStart: 3, stepTimeoutMs: 1000 },
    onRecovered: () => {},
    keptNote: () => " The checkpoint after epoch 1 is in ck/.",
  });
  return { run, replaced };
}
const nan = (slots: number[]) =>
  new StepFailure(slots, "non-finite loss NaN at step 5", new NonFiniteError(5, Number.NaN));

describe("non-finite failures", () => {
  test("one participant's: replaced, the step redone", async () => {
    const { run, replaced } = scripted([nan([1]), undefined]);
    await run;
    expect(replaced).toEqual([[1]]);
  });

  test("every participant's: diverged at once", async () => {
    const { run, replaced } = scripted([nan([0, 1, 2])]);
    await expect(run).rejects.toThrow(
      new TrainingDiverged(
        "diverged at epoch 1, step 3 (loss NaN): lower --lr. The checkpoint after epoch 1 is in ck/.",
      ),
    );
    expect(replaced).toEqual([]);
  });

  test("the replacement's too, at the same step: diverged", async () => {
    const { run, replaced } = scripted([nan([1]), nan([1])]);
    await expect(run).rejects.toBeInstanceOf(TrainingDiverged);
    expect(replaced).toEqual([[1]]);
  });

  test("a lost participant is no divergence, however the step failed before", async () => {
    const lost = new StepFailure([1], "participant 1: disconnected (1006)");
    const { run, replaced } = scripted([nan([1]), lost, undefined]);
    await run;
    expect(replaced).toEqual([[1], [1]]);
  });
});
