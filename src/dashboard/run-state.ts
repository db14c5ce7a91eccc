/**
 * The dashboard page's model of a run, built from its event stream. Runtime-free and free of
 * DOM, so the page renders it and tests drive it with recorded or scripted events.
 */

import type { EpochMetrics } from "../core/run/epoch-metrics.ts";
import type { ParticipantReport } from "../core/run/events.ts";
import { Ema, etaSeconds, type ProgressPoint } from "./curves.ts";
import type { DashboardEvent, WorkerTiming } from "./events.ts";
import { formatMetric, metricPairs } from "./metric-series.ts";

type Of<T extends DashboardEvent["type"]> = Extract<DashboardEvent, { type: T }>;

/** TensorBoard's default smoothing. */
export const SMOOTHING = 0.6;

/**
 * Bounds of what a page holds however long it stays open: step rows past `MAX_STEP_ROWS` are
 * halved (every other one goes; epoch rows stay, so the curves keep their shape, as the
 * server's history does), and only the newest `MAX_LINES` timeline entries and marks are kept.
 */
export const MAX_STEP_ROWS = 4000;
export const MAX_LINES = 500;

/** One x position (in epochs) of the curves: a step point, or an epoch's end. */
export interface CurveRow {
  readonly x: number;
  readonly loss: number | null;
  readonly lossSmooth: number | null;
  readonly accuracy: number | null;
  readonly accuracySmooth: number | null;
  readonly samplesPerSecond: number | null;
  /** Set on the row of an epoch's end: its train and test metrics. */
  readonly epoch?: EpochMetrics;
}

/** A vertical line on the curves. */
export interface Mark {
  readonly x: number;
  readonly kind: "recovered" | "checkpoint";
}

export interface TimelineEntry {
  readonly kind: "epoch" | "recovered" | "checkpoint" | "saved" | "done" | "failed" | "stopped";
  readonly text: string;
}

export type RunStatus = "waiting" | "training" | "done" | "failed" | "stopped";

export class RunState {
  start?: Of<"start">;
  settings?: Of<"settings">;
  status: RunStatus = "waiting";
  endMessage = "";
  /** Seconds (event clock) of `start` and of the latest event. */
  startTime = 0;
  lastTime = 0;
  /** Global steps done since step 0 of epoch 0, and where the run is now. */
  done = 0;
  epoch = 0;
  step = 0;
  samplesPerSecond = 0;
  readonly rows: CurveRow[] = [];
  readonly marks: Mark[] = [];
  readonly timeline: TimelineEntry[] = [];
  workers: readonly WorkerTiming[] = [];
  /** A networked run's participants as of the latest epoch: where each runs, its step split. */
  participants: readonly ParticipantReport[] = [];
  evaluation?: Of<"evaluation">;
  regression?: Of<"regressionEvaluation">;
  lastSeq = 0;
  private stepRows = 0;
  private firstProgress?: ProgressPoint;
  private readonly lossEma = new Ema(SMOOTHING);
  private readonly accuracyEma = new Ema(SMOOTHING);

  /** Applies one message; false (and no change) for a seq already seen. */
  apply(message: { seq: number; time: number; event: DashboardEvent }): boolean {
    if (message.seq <= this.lastSeq) return false;
    this.lastSeq = message.seq;
    this.lastTime = message.time / 1000;
    this.on(message.event, message.time / 1000);
    return true;
  }

  get totalSteps(): number {
    return this.start ? this.start.epochs * this.start.steps : 0;
  }

  /** Share of the run's steps done, 0..1. */
  get fraction(): number {
    return this.totalSteps ? Math.min(1, this.done / this.totalSteps) : 0;
  }

  /** Seconds left while training (null before a rate is known or once the run ended). */
  eta(): number | null {
    if (this.status !== "training" || !this.firstProgress) return null;
    return etaSeconds(
      this.firstProgress,
      { time: this.lastTime, done: this.done },
      this.totalSteps,
    );
  }

  epochs(): EpochMetrics[] {
    return this.rows.flatMap((r) => (r.epoch ? [r.epoch] : []));
  }

  private on(event: DashboardEvent, time: number): void {
    switch (event.type) {
      case "start":
        this.start = event;
        this.startTime = time;
        this.status = "training";
        return;
      case "settings":
        this.settings = event;
        return;
      case "step":
        this.onStep(event, time);
        return;
      case "epoch":
        this.onEpoch(event.metrics);
        return;
      case "recovered":
        this.mark({ x: event.epoch + event.step / (this.start?.steps ?? 1), kind: "recovered" });
        this.line({
          kind: "recovered",
          text: `epoch ${event.epoch + 1}, step ${event.step + 1}: worker ${event.workers.join(", ")} replaced (${event.reason})`,
        });
        return;
      case "checkpoint":
        this.mark({ x: event.epoch, kind: "checkpoint" });
        this.line({
          kind: "checkpoint",
          text: `checkpoint after epoch ${event.epoch} → ${event.dir}`,
        });
        return;
      case "saved":
        this.line({ kind: "saved", text: `model saved → ${event.dir}` });
        return;
      case "workerTimes":
        this.workers = event.workers;
        return;
      case "participants":
        this.participants = event.participants;
        return;
      case "evaluation":
        this.evaluation = event;
        return;
      case "regressionEvaluation":
        this.regression = event;
        return;
      case "end":
        this.status = event.status;
        this.endMessage = event.message ?? "";
        this.line({
          kind: event.status,
          text: `run ${event.status}${event.message ? `: ${event.message}` : ""}`,
        });
        return;
    }
  }

  private onStep(event: Of<"step">, time: number): void {
    this.epoch = event.epoch;
    this.step = event.step;
    this.done = event.epoch * event.steps + event.step;
    this.samplesPerSecond = event.samplesPerSecond;
    // Step 0 of an epoch has no loss yet (0 samples seen).
    if (event.step === 0) return;
    // Measured from the first progress seen, so warm-up and a resumed start do not skew it.
    this.firstProgress ??= { time, done: this.done };
    this.addRow({
      x: event.epoch + event.step / event.steps,
      loss: event.loss,
      lossSmooth: this.lossEma.push(event.loss),
      accuracy: event.accuracy,
      accuracySmooth: this.accuracyEma.push(event.accuracy),
      samplesPerSecond: event.samplesPerSecond,
    });
  }

  private onEpoch(m: EpochMetrics): void {
    this.epoch = m.epoch;
    this.step = 0;
    this.done = m.epoch * (this.start?.steps ?? 0);
    this.addRow({
      x: m.epoch,
      loss: null,
      lossSmooth: null,
      accuracy: null,
      accuracySmooth: null,
      samplesPerSecond: null,
      epoch: m,
    });
    // The test side of every compiled metric, the loss last (as it always read).
    const pairs = metricPairs(m).filter((p) => p.test !== undefined);
    const ordered = [
      ...pairs.filter((p) => p.name !== "loss"),
      ...pairs.filter((p) => p.name === "loss"),
    ];
    const values = ordered.map((p) => `${p.name} ${formatMetric(p.name, p.test)}`).join(", ");
    this.line({
      kind: "epoch",
      text: `epoch ${m.epoch}: test ${values} (${m.trainSeconds.toFixed(1)} s)`,
    });
  }

  /** Keeps rows sorted by x (uPlot needs ascending x) even if an event arrives out of order. */
  private addRow(row: CurveRow): void {
    let at = this.rows.length;
    while (at > 0 && this.rows[at - 1].x > row.x) at--;
    this.rows.splice(at, 0, row);
    if (row.epoch || ++this.stepRows <= MAX_STEP_ROWS) return;
    let seen = 0;
    const last = this.rows.at(-1);
    const kept = this.rows.filter((r) => r.epoch || r === last || seen++ % 2 === 0);
    this.rows.splice(0, this.rows.length, ...kept);
    this.stepRows = kept.filter((r) => !r.epoch).length;
  }

  private line(entry: TimelineEntry): void {
    this.timeline.push(entry);
    if (this.timeline.length > MAX_LINES) this.timeline.shift();
  }

  private mark(mark: Mark): void {
    this.marks.push(mark);
    if (this.marks.length > MAX_LINES) this.marks.shift();
  }
}
