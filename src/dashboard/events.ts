/**
 * What the dashboard shows, as events: the run's own `TrainEvent`s plus the few variants only
 * the dashboard needs. Types and pure builders only, so the run, the server and the page all
 * share them.
 */
import type { ConfusionMatrix } from "../core/metric/confusion.ts";
import { type ModelSpec, modelLayout, shapeSize } from "../core/model/sequential.ts";
import type { TrainEvent } from "../core/run/events.ts";
import type { Retention } from "./event-log.ts";

export interface LayerSummary {
  readonly name: string;
  /** Input values per sample (a conv's whole input image). */
  readonly inputs: number;
  /** Output values per sample. */
  readonly units: number;
  /** `none` for layers without one (pooling, flatten, dropout, reshape). */
  readonly activation: "relu" | "softmax" | "linear" | "none";
  readonly parameters: number;
}

export interface WorkerTiming {
  readonly worker: number;
  /** Mean per step since the previous `workerTimes` event, in milliseconds. */
  readonly computeMs: number;
  /** Mean wait per step at the gradient and update barriers, in milliseconds. */
  readonly barrierMs: number;
  /** Steps the means are over. */
  readonly steps: number;
}

export interface MistakeImage {
  /** Index in the test set. */
  readonly index: number;
  readonly label: number;
  readonly predicted: number;
  readonly confidence: number;
  /** The 28×28 image's bytes (0 = background, 255 = ink), base64url. */
  readonly pixels: string;
}

export type DashboardEvent =
  | TrainEvent
  | {
      /** Right after `start`: what the settings panel shows that `start` does not carry. */
      type: "settings";
      layers: LayerSummary[];
      learningRate: number;
      seed: number;
      data: string;
      testSamples: number;
    }
  | { type: "workerTimes"; epoch: number; step: number; workers: WorkerTiming[] }
  | {
      /** After the last epoch: the final classifier on the test set. */
      type: "evaluation";
      confusion: ConfusionMatrix;
      mistakes: MistakeImage[];
      rows: number;
      cols: number;
    }
  | {
      /** After the last epoch: the final regressor on the test set (first output). */
      type: "regressionEvaluation";
      truth: number[];
      predicted: number[];
    }
  | { type: "end"; status: "done" | "failed" | "stopped"; message?: string };

export type DashboardEventType = DashboardEvent["type"];

/** The model summary of the settings panel: one row per layer. */
export function layerSummaries(spec: ModelSpec): LayerSummary[] {
  return modelLayout(spec).layers.map((layer) => ({
    name: layer.name,
    inputs: shapeSize(layer.inputShape),
    units: shapeSize(layer.outputShape),
    activation: "activation" in layer.spec ? layer.spec.activation : "none",
    parameters: layer.weights.reduce((a, w) => a + w.size, 0),
  }));
}

/**
 * How the history keeps each kind: step events are thinned over the run (the curves need
 * their shape, not every point), only the latest worker timing matters, participants' notices
 * (joins, refusals: anyone who can reach the port can cause them) only as the newest few, and
 * the rest, the run's own record, is kept.
 */
export function dashboardRetention(event: DashboardEvent): Retention {
  if (event.type === "step") return "thin";
  if (event.type === "workerTimes") return "latest";
  if (event.type === "participant") return "recent";
  return "keep";
}

/** The body of one SSE message: what the page receives as `JSON.parse(event.data)`. */
export interface DashboardMessage {
  readonly seq: number;
  readonly time: number;
  readonly event: DashboardEvent;
}
