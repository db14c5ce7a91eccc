import type { ParamLayout } from "./dense-stack.ts";

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
  const w = Float64Array.from(params);
  const ms = new Float64Array(w.length);
  for (const g of grads) rmspropStep({ lr, rho, eps }, w, ms, g);
  return Array.from(w);
}

/** One Keras 2 RMSprop step in place: ms = ρ·ms + (1−ρ)·g², w −= lr·g/(√ms + ε). */
export function rmspropStep(
  { lr, rho, eps }: { lr: number; rho: number; eps: number },
  w: Float64Array,
  ms: Float64Array,
  g: ArrayLike<number>,
): void {
  for (let i = 0; i < w.length; i++) {
    ms[i] = rho * ms[i] + (1 - rho) * g[i] ** 2;
    w[i] -= (lr * g[i]) / (Math.sqrt(ms[i]) + eps);
  }
}

/**
 * Mean cross-entropy over the batch and its gradient, in float64, by hand-written
 * backpropagation through a ReLU Dense stack with a softmax output (no tfjs, no src/core
 * math): the analytic counterpart of `finiteDifferences`.
 */
export function referenceGradient(
  layout: ParamLayout,
  params: ArrayLike<number>,
  x: ArrayLike<number>[],
  labels: number[],
): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(layout.size);
  const n = x.length;
  let loss = 0;
  x.forEach((sample, i) => {
    // Forward, keeping every layer's input for the backward pass.
    const inputs: ArrayLike<number>[] = [];
    let a: ArrayLike<number> = sample;
    layout.layers.forEach((l, li) => {
      inputs.push(a);
      const z = new Float64Array(l.units);
      for (let u = 0; u < l.units; u++) z[u] = params[l.biasOffset + u];
      for (let k = 0; k < l.inputs; k++) {
        if (a[k] === 0) continue;
        for (let u = 0; u < l.units; u++) z[u] += a[k] * params[l.kernelOffset + k * l.units + u];
      }
      a = li === layout.layers.length - 1 ? z : z.map((v) => Math.max(0, v));
    });
    // Softmax + cross-entropy: d(loss_i)/d(logits) = p − onehot, divided by n for the mean.
    const max = Math.max(...Array.from(a));
    const exps = Array.from(a, (v) => Math.exp(v - max));
    const total = exps.reduce((s, v) => s + v, 0);
    loss += (Math.log(total) + max - a[labels[i]]) / n;
    let delta = Float64Array.from(exps, (e, c) => (e / total - (c === labels[i] ? 1 : 0)) / n);
    for (let li = layout.layers.length - 1; li >= 0; li--) {
      const l = layout.layers[li];
      const input = inputs[li];
      const back = new Float64Array(l.inputs);
      for (let u = 0; u < l.units; u++) grad[l.biasOffset + u] += delta[u];
      for (let k = 0; k < l.inputs; k++) {
        // A zero input adds nothing to the kernel gradient; in a hidden layer it is a ReLU at
        // z ≤ 0, whose zero derivative stops the gradient, so `back` stays 0 there too.
        if (input[k] === 0) continue;
        let s = 0;
        for (let u = 0; u < l.units; u++) {
          grad[l.kernelOffset + k * l.units + u] += input[k] * delta[u];
          s += params[l.kernelOffset + k * l.units + u] * delta[u];
        }
        back[k] = s;
      }
      delta = back;
    }
  });
  return { loss, grad };
}

/**
 * The largest absolute error, divided by the largest magnitude in `expected` (its peak): one
 * scale for the whole vector, so entries near zero do not blow the ratio up.
 */
export function maxErrorRelativeToPeak(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): number {
  let peak = 0;
  for (let i = 0; i < expected.length; i++) peak = Math.max(peak, Math.abs(expected[i]));
  return maxAbsDiff(actual, expected) / peak;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
