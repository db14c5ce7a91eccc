import type { EpochMetrics } from "./metrics.ts";

/** What a training run reports as it goes (`onProgress`, the dashboard, the CLI's progress). */
export type TrainEvent =
  | {
      type: "start";
      epochs: number;
      steps: number;
      workers: number;
      batchSize: number;
      trainSamples: number;
      parameters: number;
    }
  | {
      type: "step";
      epoch: number;
      step: number;
      steps: number;
      loss: number;
      accuracy: number;
      samplesPerSecond: number;
    }
  | { type: "epoch"; metrics: EpochMetrics }
  | { type: "recovered"; epoch: number; step: number; workers: number[]; reason: string }
  | { type: "checkpoint"; dir: string; epoch: number }
  | { type: "saved"; dir: string };
