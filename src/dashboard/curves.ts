/**
 * Pure helpers for the live curves and progress line of the training dashboard. Runtime-free:
 * the page bundles them and the tests run them directly.
 */

/**
 * Exponential moving average with TensorBoard's debiasing: without it the first points would
 * be pulled towards 0. `weight` 0 = no smoothing; 0.9 = heavy. Non-finite values pass through
 * as null and leave the average untouched.
 */
export class Ema {
  private last = 0;
  private n = 0;

  constructor(private readonly weight: number) {
    if (!(weight >= 0 && weight < 1)) {
      throw new RangeError(`Ema: weight must be in [0, 1), got ${weight}`);
    }
  }

  push(value: number): number | null {
    if (!Number.isFinite(value)) return null;
    this.n++;
    this.last = this.last * this.weight + (1 - this.weight) * value;
    return this.last / (1 - this.weight ** this.n);
  }
}

export function ema(values: readonly number[], weight: number): (number | null)[] {
  const smoother = new Ema(weight);
  return values.map((v) => smoother.push(v));
}

export interface ProgressPoint {
  /** Seconds (any origin, the same for both points). */
  readonly time: number;
  /** Work units done (e.g. global steps). */
  readonly done: number;
}

/**
 * Seconds left at the average rate between `first` and `latest`, or null while there is no
 * rate yet. Measured from the first progress seen rather than from the start so a resumed run
 * (which starts at a later step) and warm-up before step one do not skew it.
 */
export function etaSeconds(
  first: ProgressPoint,
  latest: ProgressPoint,
  total: number,
): number | null {
  const done = latest.done - first.done;
  const elapsed = latest.time - first.time;
  if (done <= 0 || elapsed <= 0) return null;
  return Math.max(0, ((total - latest.done) * elapsed) / done);
}

/** "42 s", "3 min 07 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
