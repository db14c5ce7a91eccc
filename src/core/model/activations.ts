/**
 * Keras's activations over a row-major [rows × units] buffer: forward (in place when `output`
 * is `input`) and backward (the gradient multiplied in place by the derivative, read from the
 * forward output where that is enough, from the input only for gelu). Each hot loop is its own
 * small function, which the JITs optimise best.
 */

/** float32 in the step; float64 where a test checks derivatives by finite differences. */
export type Floats = Float32Array | Float64Array;

export const ACTIVATION_NAMES = [
  "linear",
  "relu",
  "sigmoid",
  "tanh",
  "softmax",
  "gelu",
  "elu",
] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

export interface ActivationFunction {
  readonly name: ActivationName;
  /**
   * What `backward` reads: the forward output, the forward input (the step must then keep the
   * input, not overwrite it in place), or nothing.
   */
  readonly backwardReads: "output" | "input" | "nothing";
  /** output = f(input); `output` may be `input`. Softmax works on each row of `units`. */
  forward(input: Floats, output: Floats, units: number): void;
  /** gradient ← gradient ⊙ f′ (a row's Jacobian for softmax), given the forward pass. */
  backward(gradient: Floats, forward: ForwardValues, units: number): void;
}

export interface ForwardValues {
  readonly input?: Floats;
  readonly output?: Floats;
}

/** Keras's default `alpha` of elu. */
export const ELU_ALPHA = 1;

/** The activation Keras calls `name`, its buffers' lengths checked on every call. */
export function activationByName(name: string): ActivationFunction {
  const found = CHECKED.find((a) => a.name === name);
  if (!found) {
    throw new Error(
      `unknown activation ${JSON.stringify(name)}: expected one of ${ACTIVATION_NAMES.join(", ")}`,
    );
  }
  return found;
}

function needs(values: Floats | undefined, name: ActivationName, what: string): Floats {
  if (!values) throw new Error(`${name} backward needs the forward ${what}`);
  return values;
}

const linear: ActivationFunction = {
  name: "linear",
  backwardReads: "nothing",
  forward(input, output) {
    if (output !== input) output.set(input);
  },
  backward() {},
};

const relu: ActivationFunction = {
  name: "relu",
  backwardReads: "output",
  forward(input, output) {
    for (let i = 0; i < input.length; i++) output[i] = Math.max(input[i], 0);
  },
  backward(gradient, { output }) {
    const y = needs(output, "relu", "output");
    for (let i = 0; i < gradient.length; i++) if (!(y[i] > 0)) gradient[i] = 0;
  },
};

const sigmoid: ActivationFunction = {
  name: "sigmoid",
  backwardReads: "output",
  forward(input, output) {
    for (let i = 0; i < input.length; i++) output[i] = logistic(input[i]);
  },
  backward(gradient, { output }) {
    const y = needs(output, "sigmoid", "output");
    for (let i = 0; i < gradient.length; i++) gradient[i] *= y[i] * (1 - y[i]);
  },
};

/** 1 / (1 + e^−x), without overflow for large |x|. */
export function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const tanh: ActivationFunction = {
  name: "tanh",
  backwardReads: "output",
  forward(input, output) {
    for (let i = 0; i < input.length; i++) output[i] = Math.tanh(input[i]);
  },
  backward(gradient, { output }) {
    const y = needs(output, "tanh", "output");
    for (let i = 0; i < gradient.length; i++) gradient[i] *= 1 - y[i] * y[i];
  },
};

const softmax: ActivationFunction = {
  name: "softmax",
  backwardReads: "output",
  forward(input, output, units) {
    for (let at = 0; at < input.length; at += units) softmaxRow(input, output, at, units);
  },
  backward(gradient, { output }, units) {
    const y = needs(output, "softmax", "output");
    for (let at = 0; at < gradient.length; at += units) softmaxJacobianRow(gradient, y, at, units);
  },
};

/** The row's maximum, by which softmax shifts its logits so no exponential overflows. */
export function rowMax(z: Floats, at: number, units: number): number {
  let max = z[at];
  for (let k = at + 1; k < at + units; k++) if (z[k] > max) max = z[k];
  return max;
}

/** Σₖ e^(zₖ − shift) over one row. */
export function shiftedExpSum(z: Floats, at: number, units: number, shift: number): number {
  let sum = 0;
  for (let k = at; k < at + units; k++) sum += Math.exp(z[k] - shift);
  return sum;
}

function softmaxRow(z: Floats, out: Floats, at: number, units: number): void {
  const max = rowMax(z, at, units);
  writeSoftmax(z, out, at, units, max, shiftedExpSum(z, at, units, max));
}

/**
 * softmax(z)ₖ = e^(zₖ − max) / Σⱼ e^(zⱼ − max), given the row's max and that sum: dividing keeps
 * full precision at any scale. `out` may be `z`.
 */
export function writeSoftmax(
  z: Floats,
  out: Floats,
  at: number,
  units: number,
  max: number,
  sum: number,
): void {
  for (let k = at; k < at + units; k++) out[k] = Math.exp(z[k] - max) / sum;
}

/** dzₖ = yₖ·(dyₖ − Σⱼ dyⱼ·yⱼ). */
function softmaxJacobianRow(dy: Floats, y: Floats, at: number, units: number): void {
  let dot = 0;
  for (let k = at; k < at + units; k++) dot += dy[k] * y[k];
  for (let k = at; k < at + units; k++) dy[k] = y[k] * (dy[k] - dot);
}

/** Keras's gelu with its default approximate=False: x·Φ(x), Φ the standard normal CDF. */
const gelu: ActivationFunction = {
  name: "gelu",
  backwardReads: "input",
  forward(input, output) {
    for (let i = 0; i < input.length; i++) output[i] = input[i] * normalCdf(input[i]);
  },
  backward(gradient, { input }) {
    const x = needs(input, "gelu", "input");
    for (let i = 0; i < gradient.length; i++) gradient[i] *= geluDerivative(x[i]);
  },
};

const INV_SQRT_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(x) = ½·erfc(−x/√2): accurate relative to Φ even far in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * INV_SQRT_2);
}

/** d/dx [x·Φ(x)] = Φ(x) + x·φ(x). */
function geluDerivative(x: number): number {
  return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

const elu: ActivationFunction = {
  name: "elu",
  backwardReads: "output",
  forward(input, output) {
    for (let i = 0; i < input.length; i++) {
      output[i] = input[i] > 0 ? input[i] : ELU_ALPHA * Math.expm1(input[i]);
    }
  },
  backward(gradient, { output }) {
    // For x < 0, y = α(eˣ − 1) so y′ = αeˣ = y + α; y < 0 exactly when x < 0.
    const y = needs(output, "elu", "output");
    for (let i = 0; i < gradient.length; i++) if (y[i] < 0) gradient[i] *= y[i] + ELU_ALPHA;
  },
};

const CHECKED: readonly ActivationFunction[] = [
  linear,
  relu,
  sigmoid,
  tanh,
  softmax,
  gelu,
  elu,
].map(checkedLengths);

function checkedLengths(f: ActivationFunction): ActivationFunction {
  return {
    ...f,
    forward(input, output, units) {
      expectLengths(f.name, "forward", [input, output], units);
      f.forward(input, output, units);
    },
    backward(gradient, forward, units) {
      expectLengths(f.name, "backward", [gradient, forward.input, forward.output], units);
      f.backward(gradient, forward, units);
    },
  };
}

function expectLengths(
  name: ActivationName,
  pass: string,
  buffers: (Floats | undefined)[],
  units: number,
): void {
  const length = buffers[0]!.length;
  if (!Number.isInteger(units) || units < 1 || length % units !== 0) {
    throw new Error(`${name} ${pass}: ${length} values are not whole rows of ${units} units`);
  }
  for (const b of buffers) {
    if (b && b.length !== length) {
      throw new Error(`${name} ${pass}: buffers of ${length} and ${b.length} values`);
    }
  }
}

/*
 * erf and erfc in float64. Below |x| = 2.5, the series erf(x) = (2/√π)·e^(−x²)·Σₙ x·(2x²)ⁿ/(2n+1)!!
 * (all terms positive, so no cancellation; at most 37 terms). From 2.5 up, Laplace's continued
 * fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …)))), 40 levels deep, which
 * converges to the last bit there. Measured against float64 quadrature on a grid
 * (test/core/model/activations.test.ts): |erf error| ≤ 4.5e-16 everywhere; erfc's relative
 * error ≤ 5e-16 from 2.5 up, and below 2.5, where it is 1 − erf, ≤ 2e-13 (the same ≤ 4.5e-16
 * absolute, over erfc ≥ 4e-4). So Φ, and gelu, keep their relative accuracy in the lower tail.
 */
const SERIES_LIMIT = 2.5;
const FRACTION_DEPTH = 40;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
/** 1/(2n + 3): the series' term ratio is 2x²/(2n + 3). */
const INV_ODD = Float64Array.from({ length: 64 }, (_, n) => 1 / (2 * n + 3));

export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const size = Math.abs(x);
  if (size < SERIES_LIMIT) return erfSeries(x);
  const value = 1 - erfcFraction(size);
  return x < 0 ? -value : value;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x >= SERIES_LIMIT) return erfcFraction(x);
  if (x <= -SERIES_LIMIT) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

function erfSeries(x: number): number {
  const ratio = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 0; n < INV_ODD.length; n++) {
    term *= ratio * INV_ODD[n];
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** For x ≥ 2.5; evaluated from the deepest level up. e^(−x²) underflows to 0 past x ≈ 27. */
function erfcFraction(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 0;
  let tail = x;
  for (let n = FRACTION_DEPTH; n >= 1; n--) tail = x + n / 2 / tail;
  return (INV_SQRT_PI * Math.exp(-x * x)) / tail;
}
