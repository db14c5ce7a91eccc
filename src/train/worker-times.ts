import { type Telemetry, TIMING } from "../collective/telemetry.ts";
import type { WorkerTiming } from "../dashboard/events.ts";

/** Timer slots that are work (forward/backward incl. copies, reduce + optimizer update). */
const WORK = [TIMING.compute, TIMING.update] as const;
/** Timer slots that are waiting for the other workers. */
const WAIT = [TIMING.gradBarrier, TIMING.updateBarrier] as const;

/**
 * Each worker's mean step time since the previous sample, split into compute and barrier
 * wait, from the deltas of the workers' own timers in the telemetry (one per progress tick).
 * Start one after the telemetry's epoch reset: it takes its first reading at construction.
 */
export class WorkerTimesMeter {
  private previous: Float64Array;

  constructor(private readonly telemetry: Telemetry) {
    this.previous = telemetry.timings.slice();
  }

  /** Timings of the workers that ran steps since the last call; empty when none did. */
  sample(): WorkerTiming[] {
    const now = this.telemetry.timings.slice();
    const before = this.previous;
    this.previous = now;
    const timings: WorkerTiming[] = [];
    for (let w = 0; w < this.telemetry.buffers.workers; w++) {
      const delta = (slots: readonly number[]) =>
        slots.reduce((a, s) => a + now[w * TIMING.width + s] - before[w * TIMING.width + s], 0);
      const steps = delta([TIMING.steps]);
      const work = delta(WORK);
      const wait = delta(WAIT);
      // No timer moved: nothing was measured (a networked run counts only its steps here).
      if (steps <= 0 || work + wait <= 0) continue;
      timings.push({ worker: w, computeMs: work / steps, barrierMs: wait / steps, steps });
    }
    return timings;
  }
}
