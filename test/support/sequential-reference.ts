import type { ModelLayout } from "../../src/core/model/sequential.ts";

/**
 * Plain float64 reference of a Sequential model (channels-last), written as directly as
 * possible — one output value at a time, no im2col, no tfjs — to check the tfjs backward and
 * the plain-TS forward against. Shapes come from the layout; padding is recomputed here.
 */

interface Image {
  h: number;
  w: number;
  c: number;
  v: Float64Array;
}

/** TensorFlow "same": output ⌈n/s⌉, total padding split with the smaller half before. */
function pad(n: number, k: number, s: number, padding: string) {
  if (padding === "valid") return { out: Math.floor((n - k) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) };
}

function conv(
  x: Image,
  p: ArrayLike<number>,
  kOff: number,
  bOff: number | undefined,
  kh: number,
  kw: number,
  cout: number,
  s: readonly number[],
  padding: string,
): Image {
  const r = pad(x.h, kh, s[0], padding);
  const c = pad(x.w, kw, s[1], padding);
  const v = new Float64Array(r.out * c.out * cout);
  for (let oy = 0; oy < r.out; oy++)
    for (let ox = 0; ox < c.out; ox++)
      for (let o = 0; o < cout; o++) {
        let sum = bOff === undefined ? 0 : p[bOff + o];
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const y = oy * s[0] + i - r.before;
            const xx = ox * s[1] + j - c.before;
            if (y < 0 || y >= x.h || xx < 0 || xx >= x.w) continue;
            for (let ch = 0; ch < x.c; ch++)
              sum +=
                x.v[(y * x.w + xx) * x.c + ch] * p[kOff + ((i * kw + j) * x.c + ch) * cout + o];
          }
        v[(oy * c.out + ox) * cout + o] = sum;
      }
  return { h: r.out, w: c.out, c: cout, v };
}

function maxPool(x: Image, ph: number, pw: number, s: readonly number[], padding: string): Image {
  const r = pad(x.h, ph, s[0], padding);
  const c = pad(x.w, pw, s[1], padding);
  const v = new Float64Array(r.out * c.out * x.c);
  for (let oy = 0; oy < r.out; oy++)
    for (let ox = 0; ox < c.out; ox++)
      for (let ch = 0; ch < x.c; ch++) {
        let m = -Infinity;
        for (let i = 0; i < ph; i++)
          for (let j = 0; j < pw; j++) {
            const y = oy * s[0] + i - r.before;
            const xx = ox * s[1] + j - c.before;
            if (y >= 0 && y < x.h && xx >= 0 && xx < x.w)
              m = Math.max(m, x.v[(y * x.w + xx) * x.c + ch]);
          }
        v[(oy * c.out + ox) * x.c + ch] = m;
      }
  return { h: r.out, w: c.out, c: x.c, v };
}

function dense(
  x: Float64Array,
  p: ArrayLike<number>,
  kOff: number,
  bOff: number | undefined,
  units: number,
) {
  const out = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    let sum = bOff === undefined ? 0 : p[bOff + u];
    for (let i = 0; i < x.length; i++) sum += x[i] * p[kOff + i * units + u];
    out[u] = sum;
  }
  return out;
}

/** Keras's activations, written out independently of src/core/model/activations.ts. */
const ACTIVATIONS: Record<string, (v: Float64Array) => Float64Array> = {
  linear: (v) => v,
  relu: (v) => v.map((x) => Math.max(0, x)),
  sigmoid: (v) => v.map((x) => 1 / (1 + Math.exp(-x))),
  tanh: (v) => v.map(Math.tanh),
  elu: (v) => v.map((x) => (x > 0 ? x : Math.exp(x) - 1)),
  gelu: (v) => v.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))),
};

/** erf by its Maclaurin series (|x| < 3 here), independent of the source's erf. */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** Softmax over each run of `units` values (the last axis). */
function softmaxLastAxis(v: Float64Array, units: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let at = 0; at < v.length; at += units) {
    const row = v.subarray(at, at + units);
    const max = Math.max(...row);
    const e = row.map((val) => Math.exp(val - max));
    const sum = e.reduce((a, b) => a + b, 0);
    out.set(
      e.map((val) => val / sum),
      at,
    );
  }
  return out;
}

/**
 * The last layer's output for one sample (logits for a softmax last layer unless `softmax`),
 * with `masks[k]` (this sample's slice of each dropout mask) applied when given.
 */
export function referenceOutput(
  layout: ModelLayout,
  p: ArrayLike<number>,
  sample: ArrayLike<number>,
  masks: ArrayLike<number>[] = [],
  softmax = false,
): Float64Array {
  const shape3 = layout.inputShape.length === 3 ? layout.inputShape : [1, 1, layout.inputShape[0]];
  let x: Image = { h: shape3[0], w: shape3[1], c: shape3[2], v: Float64Array.from(sample) };
  let dropout = 0;
  const lastIndex = layout.layers.length - 1;
  for (const [index, layer] of layout.layers.entries()) {
    const s = layer.spec;
    const kOff = layer.weights[0]?.offset ?? 0;
    const bOff = layer.weights[1]?.offset;
    const [h, w, c] =
      layer.outputShape.length === 3 ? layer.outputShape : [1, 1, layer.outputShape[0]];
    if (s.kind === "conv2d") {
      x = conv(x, p, kOff, bOff, s.kernelSize[0], s.kernelSize[1], s.filters, s.strides, s.padding);
    } else if (s.kind === "maxPooling2d") {
      x = maxPool(x, s.poolSize[0], s.poolSize[1], s.strides, s.padding);
    } else if (s.kind === "dense") {
      x = { h: 1, w: 1, c: s.units, v: dense(x.v, p, kOff, bOff, s.units) };
    } else if (s.kind === "dropout") {
      const m = masks[dropout++];
      if (m) x = { ...x, v: x.v.map((val, i) => val * m[i]) };
    } else {
      // Flatten and Reshape keep the row-major (channels-last) order of the values.
      x = { h, w, c, v: x.v };
    }
    if (s.kind !== "conv2d" && s.kind !== "dense") continue;
    if (s.activation !== "softmax") x.v = ACTIVATIONS[s.activation](x.v);
    else if (softmax || index < lastIndex) x.v = softmaxLastAxis(x.v, x.c);
  }
  return x.v;
}

/** Σᵢ wᵢ·(−log softmax(zᵢ)[labelᵢ]) in float64. */
export function referenceSequentialLoss(
  layout: ModelLayout,
  p: ArrayLike<number>,
  x: number[][],
  labels: number[],
  weights: number[],
  masks: Float32Array[] = [],
): number {
  let total = 0;
  x.forEach((sample, b) => {
    const sampleMasks = masks.map((m) => {
      const n = m.length / x.length;
      return m.subarray(b * n, (b + 1) * n);
    });
    const z = referenceOutput(layout, p, sample, sampleMasks);
    const max = Math.max(...z);
    const logSum = Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
    total += weights[b] * (logSum - z[labels[b]]);
  });
  return total;
}

/** Central finite differences of `loss` in float64, one parameter at a time. */
export function finiteDifferencesOf(
  loss: (p: Float64Array) => number,
  params: Float32Array,
  h = 1e-5,
): Float64Array {
  const p = Float64Array.from(params);
  const grad = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const keep = p[i];
    p[i] = keep + h;
    const up = loss(p);
    p[i] = keep - h;
    const down = loss(p);
    p[i] = keep;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}
