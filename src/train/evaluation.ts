import { denseInputs, type ImageSet, type SampleSet } from "../core/data/dataset.ts";
import { encodeBase64Url } from "../core/format/base64url.ts";
import { confidentMistakes, confusionMatrix } from "../core/metric/confusion.ts";
import { forward } from "../core/model/forward.ts";
import { type ModelSpec, modelLayout } from "../core/model/sequential.ts";
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

export type RegressionEvent = Extract<DashboardEvent, { type: "regressionEvaluation" }>;

/** Points the dashboard's predicted-vs-true plot gets at most. */
export const REGRESSION_POINTS = 1000;

/**
 * The final regressor on the first {@link REGRESSION_POINTS} test samples, its first output
 * against the truth, for the predicted-vs-true plot: the plain-TS forward on the main thread
 * (the workers' evaluation reports losses and metrics, not every output).
 */
export function regressionEvent(
  spec: ModelSpec,
  params: Float32Array,
  test: SampleSet,
): RegressionEvent | undefined {
  if (test.y.kind !== "rows" || test.y.oneHot || test.count === 0) return undefined;
  const count = Math.min(test.count, REGRESSION_POINTS);
  // At most REGRESSION_POINTS samples dense, whatever the set's form (CSR rows included).
  const outputs = forward(
    { layout: modelLayout(spec), params },
    denseInputs(test, 0, count),
    count,
  );
  const { data: targets, width } = test.y;
  const units = outputs.length / count;
  return {
    type: "regressionEvaluation",
    truth: Array.from({ length: count }, (_, i) => targets[i * width]),
    predicted: Array.from({ length: count }, (_, i) => outputs[i * units]),
  };
}
