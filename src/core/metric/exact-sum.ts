/**
 * An exact running sum of float64 values, read correctly rounded: Shewchuk's non-overlapping
 * partials (the algorithm of Python's math.fsum). The value does not depend on the order or the
 * grouping of the additions, so N workers' partial sums merged in any order equal one worker's
 * sum bit for bit. Plain data (structured-clone and JSON safe for finite sums); the partials
 * stay few (a handful for any realistic metric), so adding is a short loop.
 */
export interface ExactSum {
  /** Non-overlapping, increasing in magnitude; their exact sum is the finite values' sum. */
  readonly partials: number[];
  /** The sum of the infinite and NaN values added (IEEE addition is exact for them), else 0. */
  nonFinite: number;
}

export function exactSum(): ExactSum {
  return { partials: [], nonFinite: 0 };
}

export function addToSum(sum: ExactSum, value: number): void {
  if (!Number.isFinite(value)) {
    sum.nonFinite += value;
    return;
  }
  const partials = sum.partials;
  let x = value;
  let kept = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j];
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[kept++] = lo;
    x = hi;
  }
  partials.length = kept;
  partials.push(x);
}

/** into += from, exactly. */
export function mergeSum(into: ExactSum, from: ExactSum): void {
  for (const partial of from.partials) addToSum(into, partial);
  into.nonFinite += from.nonFinite;
}

/** The sum rounded once to the nearest float64 (ties to even). */
export function sumValue(sum: ExactSum): number {
  if (sum.nonFinite !== 0) return sum.nonFinite;
  const p = sum.partials;
  let n = p.length;
  if (n === 0) return 0;
  let hi = p[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = p[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // hi + lo is exact; when the partials below lo push the same way, lo's half-ulp tie breaks.
  if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}
