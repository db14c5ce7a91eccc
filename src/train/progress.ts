import { STAT, type Telemetry } from "../collective/telemetry.ts";
import type { TrainEvent } from "./types.ts";
import { WorkerTimesMeter } from "./worker-times.ts";

const POLL_MS = 250;

/**
 * Emits a `step` event and the workers' step times (`workerTimes`) every 250 ms from the
 * workers' telemetry while an epoch runs, and counts the main thread's busy time for the
 * benchmark. The workers never wait for it.
 */
export class ProgressPoller {
  /** Main-thread milliseconds spent polling and dispatching this epoch. */
  busyMs = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly startedAt = performance.now();
  private readonly workerTimes: WorkerTimesMeter;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly stepsDone: () => number,
    private readonly epoch: { index: number; firstStep: number; steps: number },
    private readonly emit: (event: TrainEvent) => void,
  ) {
    this.workerTimes = new WorkerTimesMeter(telemetry);
    this.timer = setInterval(() => this.measure(() => this.poll()), POLL_MS);
  }

  /** Runs `work` on the main thread, counting its time as busy. */
  measure<T>(work: () => T): T {
    const start = performance.now();
    try {
      return work();
    } finally {
      this.busyMs += performance.now() - start;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * The epoch's last progress event, once its steps are done: a short epoch (a few steps of a
   * few milliseconds) may end between two ticks, and a progress bar should reach its end.
   */
  finish(): void {
    this.stop();
    this.measure(() => this.poll());
  }

  private poll(): void {
    const seen = this.telemetry.sum(STAT.seen);
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const step = this.stepsDone() - this.epoch.firstStep;
    this.emit({
      type: "step",
      epoch: this.epoch.index,
      step,
      steps: this.epoch.steps,
      loss: this.telemetry.sum(STAT.loss) / Math.max(seen, 1),
      accuracy: this.telemetry.sum(STAT.correct) / Math.max(seen, 1),
      samplesPerSecond: seen / Math.max(elapsed, 1e-9),
    });
    const workers = this.workerTimes.sample();
    if (workers.length > 0) {
      this.emit({ type: "workerTimes", epoch: this.epoch.index, step, workers });
    }
  }
}
