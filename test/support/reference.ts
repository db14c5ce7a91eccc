import type { ParamLayout } from "../../src/core/spec.ts";

/**
 * Plain float64 JavaScript reference of the model math, written independently of the tfjs
 * code it checks: weighted cross-entropy of a ReLU Dense stack with softmax output.
 */
export function referenceLoss(
  layout: ParamLayout,
  params: ArrayLike<number>,
  x: number[][],
  labels: number[],
  weights: number[],
): number {
  let total = 0;
  x.forEach((sample, i) => {
    let a = sample;
    layout.layers.forEach((l, li) => {
      const z = new Array<number>(l.units).fill(0);
      for (let u = 0; u < l.units; u++) {
        let s = params[l.biasOffset + u];
        for (let k = 0; k < l.inputs; k++) s += a[k] * params[l.kernelOffset + k * l.units + u];
        z[u] = s;
      }
      a = li === layout.layers.length - 1 ? z : z.map((v) => Math.max(0, v));
    });
    const max = Math.max(...a);
    const logSum = Math.log(a.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
    total += weights[i] * (logSum - a[labels[i]]);
  });
  return total;
}

/** Central finite differences of `referenceLoss` in float64. */
export function finiteDifferences(
  layout: ParamLayout,
  params: Float32Array,
  x: number[][],
  labels: number[],
  weights: number[],
  h = 1e-5,
): Float64Array {
  const p = Float64Array.from(params);
  const grad = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const keep = p[i];
    p[i] = keep + h;
    const up = referenceLoss(layout, p, x, labels, weights);
    p[i] = keep - h;
    const down = referenceLoss(layout, p, x, labels, weights);
    p[i] = keep;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

/** Keras's RMSprop formula, step by step, in float64. */
export function referenceRmsprop(
  lr: number,
  rho: number,
  eps: number,
  params: number[],
  grads: number[][],
): number[] {
  const w = [...params];
  const ms = w.map(() => 0);
  for (const g of grads) {
    for (let i = 0; i < w.length; i++) {
      ms[i] = rho * ms[i] + (1 - rho) * g[i] ** 2;
      w[i] -= (lr * g[i]) / (Math.sqrt(ms[i]) + eps);
    }
  }
  return w;
}

export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  return worst;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
