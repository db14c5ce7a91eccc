/**
 * Central finite differences in float64: the numerical derivative of a scalar function of a
 * buffer, one coordinate at a time, for checking analytic gradients.
 */
export function numericalGradient(f: (x: Float64Array) => number, at: Float64Array, h = 1e-6) {
  const x = Float64Array.from(at);
  const gradient = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const up = f(x);
    x[i] = saved - h;
    const down = f(x);
    x[i] = saved;
    gradient[i] = (up - down) / (2 * h);
  }
  return gradient;
}

/** The largest |a − b| / (1 + |b|) over the two buffers. */
export function worstError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  }
  return worst;
}
