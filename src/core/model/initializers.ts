import type { Rng } from "../data/rng.ts";

/**
 * Weight initializers as Keras and tfjs name them, drawn from shardfit's seeded generator
 * (never from tfjs's or Math.random), so a seed fixes a model's starting point on every
 * runtime and worker count.
 */

export type FanMode = "fanIn" | "fanOut" | "fanAvg";

/**
 * - `uniform`: U(−l, l), l = √(3·scale/fan).
 * - `normal`: what tfjs draws for "normal": a normal with σ = √(scale/fan), redrawn beyond 2σ
 *   (no variance correction, so the variance is ~0.77·scale/fan).
 * - `truncatedNormal`: Keras's "truncated_normal": the same cut at 2σ with σ divided by
 *   0.8796…, so the variance is scale/fan.
 * - `untruncatedNormal`: a plain normal with σ = √(scale/fan).
 */
export type Distribution = "uniform" | "normal" | "truncatedNormal" | "untruncatedNormal";

export type InitializerSpec =
  | { readonly kind: "zeros" }
  | { readonly kind: "ones" }
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "randomUniform"; readonly minval: number; readonly maxval: number }
  | { readonly kind: "randomNormal"; readonly mean: number; readonly stddev: number }
  | { readonly kind: "truncatedNormal"; readonly mean: number; readonly stddev: number }
  | {
      readonly kind: "varianceScaling";
      readonly scale: number;
      readonly mode: FanMode;
      readonly distribution: Distribution;
    };

type VarianceScaling = Extract<InitializerSpec, { kind: "varianceScaling" }>;

const varianceScaling = (
  scale: number,
  mode: FanMode,
  distribution: Distribution,
): VarianceScaling => ({ kind: "varianceScaling", scale, mode, distribution });

/** Keras's default kernel initializer. */
export const GLOROT_UNIFORM: VarianceScaling = varianceScaling(1, "fanAvg", "uniform");
/** tfjs's default kernel initializer as tfjs writes it (VarianceScaling, fan_avg, "normal"). */
export const TFJS_GLOROT_NORMAL: VarianceScaling = varianceScaling(1, "fanAvg", "normal");
export const GLOROT_NORMAL: VarianceScaling = varianceScaling(1, "fanAvg", "truncatedNormal");
export const HE_UNIFORM: VarianceScaling = varianceScaling(2, "fanIn", "uniform");
export const HE_NORMAL: VarianceScaling = varianceScaling(2, "fanIn", "truncatedNormal");
export const LECUN_UNIFORM: VarianceScaling = varianceScaling(1, "fanIn", "uniform");
export const LECUN_NORMAL: VarianceScaling = varianceScaling(1, "fanIn", "truncatedNormal");
export const ZEROS: InitializerSpec = { kind: "zeros" };

/** Keras's σ correction for a standard normal truncated at ±2σ (its std is 0.8796…). */
const TRUNCATED_STD = 0.87962566103423978;

/**
 * [fanIn, fanOut] of a weight shape, as Keras and tfjs compute them: `[in, out]` for Dense,
 * `[kh, kw, cin, cout]` → cin·kh·kw and cout·kh·kw for a channels-last conv kernel, and
 * √size for both otherwise (a bias).
 */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length >= 3) {
    let receptive = 1;
    for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i];
    return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
  }
  const root = Math.sqrt(shape.reduce((a, b) => a * b, 1));
  return [root, root];
}

/** Standard normal by Box–Muller; 1 − u keeps log away from 0. */
function standardNormal(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Standard normal redrawn until it lies within ±2, as tf.truncatedNormal does. */
function truncatedStandardNormal(rng: Rng): number {
  for (;;) {
    const z = standardNormal(rng);
    if (Math.abs(z) <= 2) return z;
  }
}

function fillUniform(out: Float32Array, rng: Rng, min: number, max: number): Float32Array {
  // (2u − 1)·l for symmetric limits: the exact draw of the original Dense initParams.
  const mid = (min + max) / 2;
  const half = (max - min) / 2;
  for (let i = 0; i < out.length; i++) out[i] = mid + (2 * rng.next() - 1) * half;
  return out;
}

function fillNormal(
  out: Float32Array,
  rng: Rng,
  mean: number,
  std: number,
  truncated: boolean,
): Float32Array {
  for (let i = 0; i < out.length; i++) {
    out[i] = mean + std * (truncated ? truncatedStandardNormal(rng) : standardNormal(rng));
  }
  return out;
}

function fillVarianceScaling(
  out: Float32Array,
  shape: readonly number[],
  init: VarianceScaling,
  rng: Rng,
): Float32Array {
  const [fanIn, fanOut] = computeFans(shape);
  const fan =
    init.mode === "fanIn" ? fanIn : init.mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2;
  const variance = init.scale / Math.max(1, fan);
  const std = Math.sqrt(variance);
  switch (init.distribution) {
    case "uniform": {
      const limit = Math.sqrt(3 * variance);
      return fillUniform(out, rng, -limit, limit);
    }
    case "normal":
      return fillNormal(out, rng, 0, std, true);
    case "truncatedNormal":
      return fillNormal(out, rng, 0, std / TRUNCATED_STD, true);
    case "untruncatedNormal":
      return fillNormal(out, rng, 0, std, false);
  }
}

/**
 * Fills and returns `out` (a weight of `shape`, row-major) from `init`, drawing from `rng`. Constant
 * initializers draw nothing, so adding a zero bias does not shift later weights' draws.
 */
export function fillInitializer(
  out: Float32Array,
  shape: readonly number[],
  init: InitializerSpec,
  rng: Rng,
): Float32Array {
  switch (init.kind) {
    case "zeros":
      return out.fill(0);
    case "ones":
      return out.fill(1);
    case "constant":
      return out.fill(init.value);
    case "randomUniform":
      return fillUniform(out, rng, init.minval, init.maxval);
    case "randomNormal":
      return fillNormal(out, rng, init.mean, init.stddev, false);
    case "truncatedNormal":
      return fillNormal(out, rng, init.mean, init.stddev, true);
    case "varianceScaling":
      return fillVarianceScaling(out, shape, init, rng);
  }
}
