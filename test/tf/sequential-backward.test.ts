// The full tfjs registers the cpu backend the references run on (src/tf needs only tfjs-core).
import "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "bun:test";
import { Rng } from "../../src/core/data/rng.ts";
import { outputLoss } from "../../src/core/loss/output-loss.ts";
import { dropoutMasks } from "../../src/core/model/dropout.ts";
import {
  dense,
  dropout,
  type MaxPooling2DLayer,
  maxPooling2d,
  modelLayout,
  shapeSize,
} from "../../src/core/model/sequential.ts";
import { tf, useWasmBackend } from "../../src/tf/backend.ts";
import { maxPoolBackward } from "../../src/tf/max-pool.ts";
import {
  sequentialLossAndGrads,
  sequentialOutputs,
  sequentialTensors,
  setSequentialPhaseProbe,
} from "../../src/tf/sequential.ts";
import { maxAbsDiff, maxErrorRelativeToPeak } from "../support/reference.ts";
import { type Case, MODELS, referenceCases } from "../support/sequential-models.ts";

/** Softmax cross-entropy on the logits (core/loss, fused) and the real rows' hits. */
function softmaxScore(c: Case) {
  const classes = c.layout.outputShape[0];
  const loss = outputLoss("categorical_crossentropy", "softmax", classes);
  const y = new Float32Array(c.labels.length * classes);
  c.labels.forEach((label, i) => {
    y[i * classes + label] = 1;
  });
  const weights = Float32Array.from(c.weights);
  return (outputs: Float32Array, gradient: Float32Array) => {
    const value = loss.evaluate(outputs, { y, weights }, gradient);
    let correct = 0;
    c.labels.forEach((label, i) => {
      const row = Array.from(outputs.subarray(i * classes, (i + 1) * classes));
      if (c.weights[i] > 0 && row.indexOf(Math.max(...row)) === label) correct++;
    });
    return { loss: value, correct };
  };
}

function hand(c: Case) {
  const params = sequentialTensors(c.layout, c.params);
  const x = tf.tensor2d(c.x);
  const r = sequentialLossAndGrads(c.layout, params, x, softmaxScore(c), {
    dropoutMasks: c.masks,
    lastActivation: "linear",
  });
  const flat = new Float32Array(c.layout.size);
  c.layout.weights.forEach((wl, i) => {
    expect(r.grads[i].shape).toEqual([...wl.shape]);
    flat.set(r.grads[i].dataSync(), wl.offset);
  });
  const { loss, correct } = r.score;
  const probabilities = sequentialOutputs(c.layout, params, x);
  const argMax = probabilities.argMax(1);
  const predicted = Array.from(argMax.dataSync());
  tf.dispose([...params, x, ...r.grads, probabilities, argMax]);
  return { flat, loss, correct, predicted };
}

let cases: Map<string, Case>;

beforeAll(async () => {
  cases = await referenceCases();
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`hand-derived Sequential backward (${backend} backend)`, () => {
    for (const name of Object.keys(MODELS)) {
      test(`${name}: matches tfjs autodiff and float64 finite differences`, async () => {
        if (backend === "wasm") await useWasmBackend();
        else await tf.setBackend("cpu");
        expect(tf.getBackend()).toBe(backend);
        const c = cases.get(name)!;
        const before = tf.memory().numTensors;
        const h = hand(c);
        expect(maxErrorRelativeToPeak(h.flat, c.autodiff)).toBeLessThanOrEqual(1e-4);
        expect(maxErrorRelativeToPeak(h.flat, c.fd)).toBeLessThanOrEqual(1e-4);
        expect(h.loss).toBeCloseTo(c.loss, 5);
        // Every weight tensor gets a gradient that is not vacuously zero.
        for (const wl of c.layout.weights) {
          const part = h.flat.subarray(wl.offset, wl.offset + wl.size);
          expect(Math.max(...part.map(Math.abs))).toBeGreaterThan(1e-4);
        }
        // Accuracy counts the real rows whose logits' argmax is the label (inference logits:
        // comparable only without dropout, which the training forward applies).
        const correct = h.predicted.filter((p, i) => c.weights[i] > 0 && p === c.labels[i]).length;
        if (c.masks.length === 0) expect(h.correct).toBe(correct);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });
}

describe("maxPoolBackward", () => {
  const CONFIGS: [number[], MaxPooling2DLayer][] = [
    [[1, 4, 4, 1], maxPooling2d(2)],
    [[2, 6, 4, 3], maxPooling2d(2)],
    [[4, 11, 11, 3], maxPooling2d(2)],
    [[2, 7, 7, 2], maxPooling2d(3, { strides: 2, padding: "same" })],
    [[2, 7, 6, 2], maxPooling2d(2, { padding: "same" })],
    [[1, 6, 6, 2], maxPooling2d(2, { strides: 1 })],
    [[3, 5, 8, 2], maxPooling2d([2, 3], { strides: [1, 2], padding: "same" })],
  ];

  /** Random x, or with `ties` x drawn from {0, 0.5, 1}: most windows then hold several maxima. */
  const poolCases = (ties: boolean) =>
    CONFIGS.map(([shape, layer], k) => {
      const rng = Rng.fromSeed(k);
      const value = () => (ties ? Math.floor(rng.next() * 3) / 2 : rng.next() * 2 - 1);
      const x = Float32Array.from({ length: shapeSize(shape) }, value);
      return { shape: shape as [number, number, number, number], layer, x, rng };
    });

  for (const ties of [false, true]) {
    test(`on wasm equals tfjs-cpu autodiff, every time (wasm's own MaxPoolGrad leaves stale memory)${ties ? ", with ties: the first maximum in row-major order gets dy" : ""}`, async () => {
      const cases = poolCases(ties);
      await tf.setBackend("cpu");
      const expected = cases.map(({ shape, layer, x, rng }) =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, shape);
          const y = tf.maxPool(
            xt,
            layer.poolSize as [number, number],
            layer.strides as [number, number],
            layer.padding,
          );
          const dy = Float32Array.from({ length: y.size }, () => rng.next() * 2 - 1);
          const f = (t: tf.Tensor) =>
            tf.sum(
              tf.mul(
                tf.maxPool(
                  t as tf.Tensor4D,
                  layer.poolSize as [number, number],
                  layer.strides as [number, number],
                  layer.padding,
                ),
                tf.tensor(dy, y.shape),
              ),
            );
          return {
            dy,
            dyShape: y.shape as [number, number, number, number],
            dx: tf.grad(f)(xt).dataSync(),
          };
        }),
      );
      await useWasmBackend();
      // Twice over, so later calls run on reused (dirty) wasm memory.
      for (let round = 0; round < 2; round++) {
        cases.forEach(({ shape, layer, x }, k) => {
          const dx = tf.tidy(() =>
            maxPoolBackward(
              tf.tensor4d(x, shape),
              tf.tensor4d(expected[k].dy, expected[k].dyShape),
              layer,
            ).dataSync(),
          );
          expect(maxAbsDiff(dx, expected[k].dx)).toBeLessThan(1e-6);
        });
      }
    });
  }
});

describe("setSequentialPhaseProbe", () => {
  test("reports each layer's forward, the loss, then each layer's backward, in order", async () => {
    await tf.setBackend("cpu");
    const c = cases.get("conv valid relu → maxpool → dense")!;
    const phases: string[] = [];
    setSequentialPhaseProbe((phase) => phases.push(phase));
    try {
      hand(c);
    } finally {
      setSequentialPhaseProbe(undefined);
    }
    const names = c.layout.layers.map((l) => l.name);
    // hand() also runs sequentialOutputs, whose forward passes report too.
    const step = [
      ...names.map((n) => `${n} forward`),
      "loss",
      ...[...names].reverse().map((n) => `${n} backward`),
    ];
    expect(phases).toEqual([...step, ...names.map((n) => `${n} forward`)]);
    hand(c);
    expect(phases.length).toBe(step.length + names.length);
  });
});

describe("sequentialLossAndGrads input checks", () => {
  test("wrong masks are a clear error", async () => {
    await tf.setBackend("cpu");
    const layout = modelLayout({ inputShape: [4], layers: [dense(3)] });
    const x = tf.zeros([2, 4]);
    const score = () => 0;
    const drop = modelLayout({
      inputShape: [4],
      layers: [dropout(0.5), dense(3, { activation: "softmax" })],
    });
    const p2 = sequentialTensors(drop, new Float32Array(drop.size));
    expect(() => sequentialLossAndGrads(drop, p2, x, score, { dropoutMasks: [] })).toThrow(
      "expected 1 dropout masks (one per Dropout layer), got 0",
    );
    expect(() =>
      sequentialLossAndGrads(drop, p2, x, score, { dropoutMasks: [new Float32Array(4)] }),
    ).toThrow("dropout mask 0 (dropout_Dropout1): expected 2×4 values, got 4");
    expect(() => sequentialTensors(layout, new Float32Array(3))).toThrow(
      "expected 15 parameters for this layout, got 3",
    );
    tf.dispose([...p2, x]);
  });

  test("dropout masks keep 1 − rate of the units, scaled by 1/(1 − rate), reproducibly", () => {
    const layout = modelLayout({
      inputShape: [1000],
      layers: [dropout(0.25), dense(2, { activation: "softmax" })],
    });
    const [m] = dropoutMasks(layout, 8, Rng.fromSeed(3));
    expect(m.length).toBe(8000);
    const kept = m.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    expect(kept.length / m.length).toBeGreaterThan(0.72);
    expect(kept.length / m.length).toBeLessThan(0.78);
    expect(dropoutMasks(layout, 8, Rng.fromSeed(3))[0]).toEqual(m);
  });
});
