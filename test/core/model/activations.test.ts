import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import {
  ACTIVATION_NAMES,
  type ActivationName,
  activationByName,
  erf,
  erfc,
} from "../../../src/core/model/activations.ts";
import { numericalGradient, worstError } from "../../support/gradient-check.ts";
import { mulberry } from "../../support/random.ts";

await tf.setBackend("cpu");

/** Random pre-activations in (−4, 4), kept 1e-3 away from relu's and elu's kink at 0. */
function inputs(seed: number, length: number): Float64Array {
  const next = mulberry(seed);
  return Float64Array.from({ length }, () => {
    const x = 8 * next() - 4;
    return Math.abs(x) < 1e-3 ? x + 0.01 : x;
  });
}

function forward(name: ActivationName, x: Float64Array, units: number): Float64Array {
  const y = new Float64Array(x.length);
  activationByName(name).forward(x, y, units);
  return y;
}

/** Each activation written the plain way, in float64, for the value check. */
const PLAIN: Record<Exclude<ActivationName, "softmax">, (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
};

describe("activations", () => {
  test.each(ACTIVATION_NAMES)("%s backward equals central finite differences", (name) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (rows, units, seed) => {
          const x = inputs(seed, rows * units);
          const dy = inputs(seed + 1, rows * units);
          const activation = activationByName(name);
          // d/dx of Σ dy·f(x) is the backward pass applied to dy.
          const numeric = numericalGradient((v) => {
            const y = forward(name, v, units);
            return y.reduce((sum, yi, i) => sum + dy[i] * yi, 0);
          }, x);
          const output = forward(name, x, units);
          const gradient = Float64Array.from(dy);
          activation.backward(gradient, { input: x, output }, units);
          expect(worstError(gradient, numeric)).toBeLessThan(1e-7);
        },
      ),
      { numRuns: 60 },
    );
  });

  test.each(ACTIVATION_NAMES)("%s backward reads only what it declares", (name) => {
    const activation = activationByName(name);
    const x = inputs(7, 12);
    const output = forward(name, x, 4);
    const full = Float64Array.from(x);
    activation.backward(full, { input: x, output }, 4);
    const partial = Float64Array.from(x);
    const reads = activation.backwardReads;
    activation.backward(partial, reads === "input" ? { input: x } : { output }, 4);
    expect(partial).toEqual(full);
    if (reads !== "nothing") {
      expect(() => activation.backward(Float64Array.from(x), {}, 4)).toThrow(
        `${name} backward needs the forward ${reads}`,
      );
    }
  });

  test.each(Object.keys(PLAIN) as (keyof typeof PLAIN)[])(
    "%s forward equals the plain formula in float64, in place too",
    (name) => {
      const x = inputs(11, 64);
      const expected = x.map(PLAIN[name]);
      expect(worstError(forward(name, x, 8), expected)).toBeLessThan(1e-15);
      const inPlace = Float64Array.from(x);
      activationByName(name).forward(inPlace, inPlace, 8);
      expect(Array.from(inPlace)).toEqual(Array.from(forward(name, x, 8)));
    },
  );

  test("softmax rows sum to 1, equal exp(x)/Σexp(x), and survive huge logits", () => {
    const x = inputs(3, 15);
    const y = forward("softmax", x, 5);
    for (let r = 0; r < 3; r++) {
      const row = Array.from(x.subarray(r * 5, r * 5 + 5));
      const total = row.reduce((s, v) => s + Math.exp(v), 0);
      expect(
        worstError(
          y.subarray(r * 5, r * 5 + 5),
          row.map((v) => Math.exp(v) / total),
        ),
      ).toBeLessThan(1e-15);
    }
    expect(Array.from(forward("softmax", Float64Array.of(1000, 0, 1000), 3))).toEqual([
      0.5, 0, 0.5,
    ]);
  });

  test("sigmoid, elu and gelu stay finite and exact in their tails", () => {
    expect(Array.from(forward("sigmoid", Float64Array.of(-800, 800), 2))).toEqual([0, 1]);
    expect(forward("elu", Float64Array.of(-1e-10), 1)[0]).toBeCloseTo(-1e-10, 20);
    // gelu(−10) = −10·Φ(−10), Φ(−10) = 7.61985302416047e-24 (published value).
    expect(forward("gelu", Float64Array.of(-10), 1)[0] / (-10 * 7.61985302416047e-24)).toBeCloseTo(
      1,
      12,
    );
  });

  test("float32 forward agrees with tfjs's activations on the cpu backend", () => {
    const x = Float32Array.from(inputs(5, 40));
    const tfNames: Record<ActivationName, string> = {
      linear: "linear",
      relu: "relu",
      sigmoid: "sigmoid",
      tanh: "tanh",
      softmax: "softmax",
      gelu: "gelu",
      elu: "elu",
    };
    for (const name of ACTIVATION_NAMES) {
      const layer = tf.layers.activation({ activation: tfNames[name] as "relu" });
      const expected = tf.tidy(() => (layer.apply(tf.tensor2d(x, [5, 8])) as tf.Tensor).dataSync());
      const y = new Float32Array(x.length);
      activationByName(name).forward(x, y, 8);
      // tfjs's float32 erf is a 1e-7-class approximation.
      expect({ name, error: worstError(y, expected) < 2e-6 }).toEqual({ name, error: true });
    }
  });

  test("an unknown activation names the valid ones", () => {
    expect(() => activationByName("swish")).toThrow(
      'unknown activation "swish": expected one of linear, relu, sigmoid, tanh, softmax, gelu, elu',
    );
  });
});

/** Simpson's rule with compensated summation, in float64. */
function simpson(f: (t: number) => number, a: number, b: number, n: number): number {
  const h = (b - a) / n;
  let sum = 0;
  let carry = 0;
  const add = (v: number) => {
    const t = sum + v;
    carry += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  };
  add(f(a));
  add(f(b));
  for (let i = 1; i < n; i++) add((i % 2 ? 4 : 2) * f(a + i * h));
  return ((sum + carry) * h) / 3;
}

describe("erf", () => {
  test("published values", () => {
    const published: [number, number][] = [
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
    ];
    for (const [x, value] of published) {
      expect(Math.abs(erf(x) - value)).toBeLessThan(5e-16);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 14);
    expect(erfc(5) / 1.5374597944280349e-12).toBeCloseTo(1, 14);
    expect(erfc(10) / 2.088487583762545e-45).toBeCloseTo(1, 14);
    expect([erf(0), erf(Number.POSITIVE_INFINITY), erfc(Number.NEGATIVE_INFINITY)]).toEqual([
      0, 1, 2,
    ]);
    expect(erf(Number.NaN)).toBeNaN();
  });

  test("erf within 4.5e-16 of quadrature on [0, 6]", () => {
    let worst = 0;
    for (let x = 0; x <= 6; x += 0.125) {
      const reference = (2 / Math.sqrt(Math.PI)) * simpson((t) => Math.exp(-t * t), 0, x, 20000);
      worst = Math.max(worst, Math.abs(erf(x) - reference));
    }
    expect(worst).toBeLessThanOrEqual(4.5e-16);
  });

  test("erfc within 5e-16 relative of quadrature on [2.5, 26], 2e-13 below", () => {
    let tail = 0;
    let body = 0;
    for (let x = 0.5; x <= 26; x += 0.5) {
      // erfc(x) = (2/√π)·e^(−x²)·∫₀^∞ e^(−2xs − s²) ds, the integrand negligible past 40/x.
      const integral = simpson((s) => Math.exp(-2 * x * s - s * s), 0, Math.min(8, 40 / x), 200000);
      const reference = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * integral;
      const error = Math.abs(erfc(x) - reference) / reference;
      if (x >= 2.5) tail = Math.max(tail, error);
      else body = Math.max(body, error);
    }
    expect(tail).toBeLessThanOrEqual(5e-16);
    expect(body).toBeLessThanOrEqual(2e-13);
  });
});

describe("activation buffers", () => {
  test("lengths that do not match, or are not whole rows, are refused", () => {
    const softmax = activationByName("softmax");
    expect(() => softmax.forward(new Float32Array(10), new Float32Array(10), 3)).toThrow(
      "softmax forward: 10 values are not whole rows of 3 units",
    );
    expect(() =>
      activationByName("relu").forward(new Float32Array(6), new Float32Array(4), 2),
    ).toThrow("relu forward: buffers of 6 and 4 values");
    expect(() =>
      activationByName("gelu").backward(new Float32Array(6), { input: new Float32Array(5) }, 1),
    ).toThrow("gelu backward: buffers of 6 and 5 values");
  });
});
