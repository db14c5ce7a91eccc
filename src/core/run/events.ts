import type { EpochMetrics } from "./epoch-metrics.ts";

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
  /** Before `start`: the loss the run trains with, and why (`description`, one line). */
  | { type: "training"; loss: string; description: string }
  /** A networked run listens: workers join at `joinUrl` with `token`. */
  | { type: "listening"; joinUrl: string; token: string; expectWorkers: number; loopback: boolean }
  /** The run's dashboard is served at `url` (`/dashboard`). */
  | { type: "dashboard"; url: string }
  /** A participant joined, was refused, left or was replaced. */
  | { type: "participant"; message: string }
  /** After each epoch of a networked run: each participant's share of a step. */
  | { type: "participants"; epoch: number; participants: ParticipantReport[] }
  | { type: "recovered"; epoch: number; step: number; workers: number[]; reason: string }
  | { type: "checkpoint"; dir: string; epoch: number }
  | { type: "saved"; dir: string };

/** One participant of a networked run, as progress reports it. */
export interface ParticipantReport {
  /** "participant 0 (Bun 1.4.4, 2 threads, 10.0.0.7:51234)" */
  readonly label: string;
  readonly slots: number;
  /** Mean ms per step from weights received to gradient ready (incl. its local reduce). */
  readonly computeMs: number;
  /** Mean ms per step from gradient sent to weights received. */
  readonly exchangeMs: number;
}
