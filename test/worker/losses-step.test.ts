import { beforeAll, describe, expect, test } from "bun:test";
import { Rng } from "../../src/core/data/rng.ts";
import type { LossName } from "../../src/core/loss/loss.ts";
import type { ActivationName } from "../../src/core/model/activations.ts";
import { initParams } from "../../src/core/model/init.ts";
import {
  conv2d,
  dense,
  flatten,
  type ModelLayout,
  type ModelSpec,
  modelLayout,
  shapeSize,
} from "../../src/core/model/sequential.ts";
import { useWasmBackend } from "../../src/tf/backend.ts";
import { type Batch, createBatch } from "../../src/worker/batch.ts";
import { SequentialGemmStep } from "../../src/worker/sequential-gemm.ts";
import { TfjsStep } from "../../src/worker/tfjs-step.ts";
import { maxErrorRelativeToPeak } from "../support/reference.ts";
import { finiteDifferencesOf, referenceOutput } from "../support/sequential-reference.ts";

/**
 * Every loss through the whole step (gemm and tfjs), after last layers of every kind and hidden
 * layers of every activation: loss and gradients against float64 finite differences of a plain
 * reference model and Keras's loss formulas written out here.
 */

const ROWS = 5;
/** The last row is padding: weight 0. */
const WEIGHTS = [0.25, 0.25, 0.25, 0.25, 0];

interface Combo {
  readonly loss: LossName;
  readonly spec: ModelSpec;
  /** Targets: one-hot rows, 0/1 rows, or numbers. */
  readonly targets: "one-hot" | "binary" | "numbers";
}

const mlp = (hidden: ActivationName, units: number, last: ActivationName): ModelSpec => ({
  inputShape: [6],
  layers: [dense(5, { activation: hidden }), dense(units, { activation: last })],
});

const COMBOS: Record<string, Combo> = {
  "tanh → softmax, categorical_crossentropy (fused)": {
    loss: "categorical_crossentropy",
    spec: mlp("tanh", 3, "softmax"),
    targets: "one-hot",
  },
  "gelu → softmax, sparse_categorical_crossentropy (fused, on one-hot rows)": {
    loss: "sparse_categorical_crossentropy",
    spec: mlp("gelu", 3, "softmax"),
    targets: "one-hot",
  },
  "elu → 1 sigmoid, binary_crossentropy (fused)": {
    loss: "binary_crossentropy",
    spec: mlp("elu", 1, "sigmoid"),
    targets: "binary",
  },
  "sigmoid → 3 sigmoid (multi-label), binary_crossentropy": {
    loss: "binary_crossentropy",
    spec: mlp("sigmoid", 3, "sigmoid"),
    targets: "binary",
  },
  "relu → linear, mse": { loss: "mse", spec: mlp("relu", 2, "linear"), targets: "numbers" },
  "tanh → linear, mae": { loss: "mae", spec: mlp("tanh", 2, "linear"), targets: "numbers" },
  "softmax → tanh, huber": { loss: "huber", spec: mlp("softmax", 2, "tanh"), targets: "numbers" },
  "elu → softmax, mse (softmax not fused)": {
    loss: "mse",
    spec: mlp("elu", 3, "softmax"),
    targets: "one-hot",
  },
  "relu → sigmoid, categorical_crossentropy (not fused: rows rescaled)": {
    loss: "categorical_crossentropy",
    spec: mlp("relu", 3, "sigmoid"),
    targets: "one-hot",
  },
  "conv gelu → flatten → 1 sigmoid, binary_crossentropy": {
    loss: "binary_crossentropy",
    spec: {
      inputShape: [4, 4, 1],
      layers: [
        conv2d(2, 3, { activation: "gelu" }),
        flatten(),
        dense(1, { activation: "sigmoid" }),
      ],
    },
    targets: "binary",
  },
};

/** Keras's per-sample losses on probabilities / outputs p against targets y (one row). */
function kerasLoss(loss: LossName, p: Float64Array, y: number[]): number {
  const mean = (f: (p: number, y: number) => number) =>
    y.reduce((s, yk, k) => s + f(p[k], yk), 0) / y.length;
  switch (loss) {
    case "categorical_crossentropy":
    case "sparse_categorical_crossentropy": {
      // Keras rescales each row of probabilities to sum to 1 first.
      const total = p.reduce((a, b) => a + b, 0);
      return -y.reduce((s, yk, k) => s + yk * Math.log(p[k] / total), 0);
    }
    case "binary_crossentropy":
      return mean((pk, yk) => -(yk * Math.log(pk) + (1 - yk) * Math.log(1 - pk)));
    case "mse":
      return mean((pk, yk) => (pk - yk) ** 2);
    case "mae":
      return mean((pk, yk) => Math.abs(pk - yk));
    case "huber":
      return mean((pk, yk) => {
        const e = Math.abs(pk - yk);
        return e <= 1 ? 0.5 * e * e : e - 0.5;
      });
  }
}

function makeData(layout: ModelLayout, combo: Combo, seed: number) {
  const rng = Rng.fromSeed(seed);
  const size = shapeSize(layout.inputShape);
  const units = layout.outputShape[0];
  const x = Array.from({ length: ROWS }, () =>
    Array.from({ length: size }, () => rng.next() * 2 - 1),
  );
  const y = x.map(() => {
    if (combo.targets === "numbers") return Array.from({ length: units }, () => rng.next() - 0.5);
    if (combo.targets === "binary") return Array.from({ length: units }, () => rng.int(2));
    const label = rng.int(units);
    return Array.from({ length: units }, (_, k) => (k === label ? 1 : 0));
  });
  return { x, y };
}

function batchOf(layout: ModelLayout, x: number[][], y: number[][]): Batch {
  const units = layout.outputShape[0];
  const batch = createBatch(ROWS, shapeSize(layout.inputShape), units, true);
  batch.x.set(x.flat());
  batch.y.set(y.flat());
  batch.weights.set(WEIGHTS);
  batch.mask.set(WEIGHTS.map((w) => (w > 0 ? 1 : 0)));
  return batch;
}

describe("every loss through the step", () => {
  beforeAll(async () => {
    await useWasmBackend();
  });

  for (const [name, combo] of Object.entries(COMBOS)) {
    test(`${name}: gemm and tfjs steps match float64 finite differences`, () => {
      const layout = modelLayout(combo.spec);
      const params = initParams(combo.spec, 7);
      const { x, y } = makeData(layout, combo, 11);
      const reference = (p: ArrayLike<number>) =>
        x.reduce((sum, sample, r) => {
          const out = referenceOutput(layout, p, sample, [], true);
          return sum + WEIGHTS[r] * kerasLoss(combo.loss, out, y[r]);
        }, 0);
      const fd = finiteDifferencesOf(reference, params);
      expect(Math.max(...fd.map(Math.abs))).toBeGreaterThan(1e-3);
      for (const step of [
        new SequentialGemmStep(layout, ROWS, combo.loss),
        new TfjsStep(layout, ROWS, combo.loss),
      ]) {
        const grads = new Float32Array(layout.size).fill(Number.NaN);
        const result = step.gradientsInto(params, batchOf(layout, x, y), grads);
        expect(result.loss).toBeCloseTo(reference(params), 5);
        expect(maxErrorRelativeToPeak(grads, fd)).toBeLessThanOrEqual(1e-4);
      }
    });
  }

  test("a cross-entropy on outputs that are not probabilities is refused with the reason", () => {
    const layout = modelLayout(mlp("relu", 3, "tanh"));
    expect(() => new SequentialGemmStep(layout, 2, "binary_crossentropy")).toThrow(
      "loss binary_crossentropy needs probabilities: the last layer's activation must be softmax or sigmoid, got tanh",
    );
    const one = modelLayout(mlp("relu", 1, "softmax"));
    expect(() => new TfjsStep(one, 2, "categorical_crossentropy")).toThrow(
      "loss categorical_crossentropy needs at least 2 output units",
    );
  });
});
