import type { ImageSet } from "../core/data/dataset.ts";
import { encodeBase64Url } from "../core/format/base64url.ts";
import { confidentMistakes, confusionMatrix } from "../core/metric/confusion.ts";
import type { DashboardEvent } from "../dashboard/events.ts";
import type { EvalResult } from "../worker/trainer.ts";

export type EvaluationEvent = Extract<DashboardEvent, { type: "evaluation" }>;

/** Mistakes the dashboard shows as images. */
export const MISTAKES_SHOWN = 16;

/**
 * The final model on the test set, from every slot's evaluation (slot order = test-set
 * order, as the shards split it): the confusion matrix and the most confident mistakes with
 * their images. Undefined when a participant sent no per-sample predictions.
 */
export function evaluationEvent(
  test: ImageSet,
  evals: readonly EvalResult[],
  classes: number,
): EvaluationEvent | undefined {
  const predicted = new Uint8Array(test.count);
  const confidence = new Float32Array(test.count);
  let at = 0;
  for (const e of evals) {
    if (!e.predictions) return undefined;
    predicted.set(e.predictions.predicted, at);
    confidence.set(e.predictions.confidence, at);
    at += e.count;
  }
  if (at !== test.count) {
    throw new Error(`evaluation: the slots evaluated ${at} test samples, expected ${test.count}`);
  }
  const size = test.rows * test.cols;
  const mistakes = confidentMistakes(
    test.labels,
    predicted,
    confidence,
    classes,
    MISTAKES_SHOWN,
  ).map((m) => ({
    ...m,
    pixels: encodeBase64Url(test.images.subarray(m.index * size, (m.index + 1) * size)),
  }));
  return {
    type: "evaluation",
    confusion: confusionMatrix(test.labels, predicted, classes),
    mistakes,
    rows: test.rows,
    cols: test.cols,
  };
}
