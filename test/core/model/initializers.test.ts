import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../src/core/data/rng.ts";
import {
  computeFans,
  fillInitializer,
  GLOROT_NORMAL,
  GLOROT_UNIFORM,
  HE_NORMAL,
  HE_UNIFORM,
  type InitializerSpec,
  LECUN_NORMAL,
  TFJS_GLOROT_NORMAL,
} from "../../../src/core/model/initializers.ts";

const SHAPE = [3, 3, 32, 64]; // the convnet's second kernel: fanIn 288, fanOut 576
const draw = (init: InitializerSpec, shape = SHAPE, seed = 1) =>
  fillInitializer(new Float32Array(shape.reduce((a, b) => a * b)), shape, init, Rng.fromSeed(seed));

function stats(v: ArrayLike<number>) {
  let sum = 0;
  let sq = 0;
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    sum += v[i];
    sq += v[i] * v[i];
    max = Math.max(max, Math.abs(v[i]));
  }
  const mean = sum / v.length;
  return { mean, variance: sq / v.length - mean * mean, max };
}

describe("initializers", () => {
  test("fans follow Keras: [in, out] for Dense, cin·kh·kw / cout·kh·kw for conv", () => {
    expect(computeFans([784, 512])).toEqual([784, 512]);
    expect(computeFans(SHAPE)).toEqual([288, 576]);
    expect(computeFans([16])).toEqual([4, 4]);
  });

  test("uniform and tfjs's 'normal' VarianceScaling have tfjs's own statistics", () => {
    for (const distribution of ["uniform", "normal"] as const) {
      const ours = stats(draw({ kind: "varianceScaling", scale: 1, mode: "fanAvg", distribution }));
      const t = tf.initializers
        .varianceScaling({ scale: 1, mode: "fanAvg", distribution, seed: 3 })
        .apply(SHAPE);
      const theirs = stats(t.dataSync());
      t.dispose();
      expect(Math.abs(ours.mean)).toBeLessThan(0.002);
      expect(ours.variance / theirs.variance).toBeGreaterThan(0.95);
      expect(ours.variance / theirs.variance).toBeLessThan(1.05);
      // Both are bounded the same way: √(3·s/fan) for uniform, 2σ for the truncated normal.
      const bound = distribution === "uniform" ? Math.sqrt(3 / 432) : 2 * Math.sqrt(1 / 432);
      expect(ours.max).toBeLessThanOrEqual(bound * (1 + 1e-6));
      expect(ours.max).toBeGreaterThan(bound * 0.97);
      expect(theirs.max).toBeLessThanOrEqual(bound * (1 + 1e-6));
    }
  });

  test("Keras's named initializers have variance scale/fan", () => {
    const cases: [InitializerSpec, number][] = [
      [GLOROT_UNIFORM, 2 / (288 + 576)],
      [GLOROT_NORMAL, 2 / (288 + 576)],
      [HE_UNIFORM, 2 / 288],
      [HE_NORMAL, 2 / 288],
      [LECUN_NORMAL, 1 / 288],
      [
        { kind: "varianceScaling", scale: 3, mode: "fanOut", distribution: "untruncatedNormal" },
        3 / 576,
      ],
    ];
    for (const [init, variance] of cases) {
      const s = stats(draw(init));
      expect(s.variance / variance).toBeGreaterThan(0.95);
      expect(s.variance / variance).toBeLessThan(1.05);
    }
    // tfjs's "normal" has no variance correction: ~0.774 of glorot's variance.
    const tfjsNormal = stats(draw(TFJS_GLOROT_NORMAL)).variance / (2 / 864);
    expect(tfjsNormal).toBeGreaterThan(0.74);
    expect(tfjsNormal).toBeLessThan(0.81);
    // The untruncated normal does reach beyond 2σ; the truncated ones never do.
    const sigma = Math.sqrt(3 / 576);
    expect(
      stats(
        draw({
          kind: "varianceScaling",
          scale: 3,
          mode: "fanOut",
          distribution: "untruncatedNormal",
        }),
      ).max,
    ).toBeGreaterThan(3 * sigma);
    expect(stats(draw(HE_NORMAL)).max).toBeLessThanOrEqual(
      (2 * Math.sqrt(2 / 288)) / 0.8796 + 1e-6,
    );
  });

  test("plain distributions and constants", () => {
    const u = stats(draw({ kind: "randomUniform", minval: 1, maxval: 3 }));
    expect(u.mean).toBeCloseTo(2, 1);
    expect(u.max).toBeLessThanOrEqual(3);
    const n = stats(draw({ kind: "randomNormal", mean: 0, stddev: 0.5 }));
    expect(n.variance).toBeCloseTo(0.25, 1);
    const t = draw({ kind: "truncatedNormal", mean: 1, stddev: 0.5 });
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...t)).toBeLessThanOrEqual(2);
    expect([...draw({ kind: "constant", value: 0.25 }, [3])]).toEqual([0.25, 0.25, 0.25]);
    expect([...draw({ kind: "ones" }, [2])]).toEqual([1, 1]);
    expect([...draw({ kind: "zeros" }, [2])]).toEqual([0, 0]);
  });

  test("a seed fixes the draw; another seed changes it", () => {
    expect(draw(GLOROT_NORMAL, [50], 4)).toEqual(draw(GLOROT_NORMAL, [50], 4));
    expect(draw(GLOROT_NORMAL, [50], 4)).not.toEqual(draw(GLOROT_NORMAL, [50], 5));
  });
});
