/**
 * Per-worker counters that the coordinator reads without asking: training statistics of the
 * current epoch (for progress lines) and phase timers (only when profiling). Worker w writes
 * only its own row; the coordinator resets them between epochs.
 */

/** Float64 slots of a worker's statistics row. */
export const STAT = { loss: 0, correct: 1, seen: 2, width: 4 } as const;

/** Float64 slots of a worker's timings row, in milliseconds. */
export const TIMING = {
  upload: 0,
  compute: 1,
  download: 2,
  gradBarrier: 3,
  update: 4,
  updateBarrier: 5,
  steps: 6,
  /** Σ active input columns of the steps' batches (not milliseconds). */
  activeColumns: 7,
  width: 8,
} as const;

export interface TelemetryBuffers {
  readonly workers: number;
  readonly stats: SharedArrayBuffer;
  readonly timings: SharedArrayBuffer;
}

export function allocateTelemetry(workers: number): TelemetryBuffers {
  const f64 = Float64Array.BYTES_PER_ELEMENT;
  return {
    workers,
    stats: new SharedArrayBuffer(f64 * STAT.width * workers),
    timings: new SharedArrayBuffer(f64 * TIMING.width * workers),
  };
}

/** Per-step averages in milliseconds of the workers' phases. */
export interface PhaseAverages {
  upload: number;
  compute: number;
  download: number;
  gradBarrier: number;
  update: number;
  updateBarrier: number;
  stepMs: number;
  /** Mean active input columns per step (see src/worker/active-columns.ts). */
  activeColumns: number;
}

export class Telemetry {
  readonly stats: Float64Array;
  readonly timings: Float64Array;

  constructor(readonly buffers: TelemetryBuffers) {
    this.stats = new Float64Array(buffers.stats);
    this.timings = new Float64Array(buffers.timings);
  }

  /** Worker w's statistics row. */
  statsRow(worker: number): Float64Array {
    return this.stats.subarray(worker * STAT.width, (worker + 1) * STAT.width);
  }

  /** Worker w's timings row. */
  timingsRow(worker: number): Float64Array {
    return this.timings.subarray(worker * TIMING.width, (worker + 1) * TIMING.width);
  }

  /** A statistic summed over the workers (racy mid-epoch: for progress display). */
  sum(field: number): number {
    let total = 0;
    for (let w = 0; w < this.buffers.workers; w++) total += this.stats[w * STAT.width + field];
    return total;
  }

  reset(): void {
    this.stats.fill(0);
    this.timings.fill(0);
  }

  /** Per-step averages of the workers' phase timers since the last reset. */
  phaseAverages(): PhaseAverages {
    const avg = (field: number) => {
      let total = 0;
      let steps = 0;
      for (let w = 0; w < this.buffers.workers; w++) {
        total += this.timings[w * TIMING.width + field];
        steps += this.timings[w * TIMING.width + TIMING.steps];
      }
      return steps ? total / steps : 0;
    };
    const p = {
      upload: avg(TIMING.upload),
      compute: avg(TIMING.compute),
      download: avg(TIMING.download),
      gradBarrier: avg(TIMING.gradBarrier),
      update: avg(TIMING.update),
      updateBarrier: avg(TIMING.updateBarrier),
      activeColumns: avg(TIMING.activeColumns),
    };
    return { ...p, stepMs: p.compute + p.gradBarrier + p.update + p.updateBarrier };
  }
}
