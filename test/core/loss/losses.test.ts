import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import {
  defaultTraining,
  type Floats,
  type FusedLoss,
  fusedLoss,
  LOSS_NAMES,
  type Loss,
  type LossName,
  lossByName,
  type TargetKind,
  type TrainingChoice,
} from "../../../src/core/loss/index.ts";
import { activationByName } from "../../../src/core/model/activations.ts";
import { numericalGradient, worstError } from "../../support/gradient-check.ts";
import { mulberry } from "../../support/random.ts";

await tf.setBackend("cpu");

interface Case {
  readonly predictions: Float64Array;
  readonly targets: Float64Array;
  readonly units: number;
}

/**
 * Random predictions and targets for each loss, kept where its gradient is smooth: inside the
 * cross-entropies' clip, away from mae's kink at 0 and huber's at ±1. Categorical rows are left
 * unnormalised (Keras rescales them) and their targets soft; binary targets are 0/1 or soft.
 */
function randomCase(name: LossName, rows: number, units: number, seed: number): Case {
  const next = mulberry(seed);
  const n = rows * units;
  const targets = new Float64Array(name === "sparse_categorical_crossentropy" ? rows : n);
  const predictions = new Float64Array(n);
  for (let i = 0; i < n; i++) predictions[i] = 0.05 + 0.9 * next();
  switch (name) {
    case "categorical_crossentropy":
      for (let r = 0; r < rows; r++) softRow(targets, r * units, units, next);
      break;
    case "sparse_categorical_crossentropy":
      for (let r = 0; r < rows; r++) targets[r] = Math.floor(next() * units);
      break;
    case "binary_crossentropy":
      for (let i = 0; i < n; i++) targets[i] = next() < 0.5 ? Math.round(next()) : next();
      break;
    default:
      for (let i = 0; i < n; i++) {
        const error = (next() < 0.5 ? -1 : 1) * (0.01 + 3 * next());
        const kink = name === "huber" && Math.abs(Math.abs(error) - 1) < 0.01;
        targets[i] = predictions[i] - (kink ? error + 0.05 : error);
      }
  }
  return { predictions, targets, units };
}

function softRow(values: Float64Array, at: number, units: number, next: () => number): void {
  let sum = 0;
  for (let k = at; k < at + units; k++) sum += values[k] = next();
  for (let k = at; k < at + units; k++) values[k] /= sum;
}

function randomWeights(rows: number, seed: number): Float64Array {
  const next = mulberry(seed ^ 0x5bd1e995);
  return Float64Array.from({ length: rows }, () => (next() < 0.2 ? 0 : next()));
}

function gradientOf(loss: Loss, c: Case, weights?: Float64Array): Float64Array {
  const gradient = new Float64Array(c.predictions.length);
  loss.evaluate({ ...c, weights }, { gradient });
  return gradient;
}

function perSampleOf(loss: Loss, c: Case): Float64Array {
  const perSample = new Float64Array(c.predictions.length / c.units);
  loss.evaluate(c, { perSample });
  return perSample;
}

const shapes = fc.tuple(
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 7 }),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
);

describe("losses", () => {
  test.each(LOSS_NAMES)("%s gradient equals central finite differences (weighted)", (name) => {
    const loss = lossByName(name);
    fc.assert(
      fc.property(shapes, ([rows, units, seed]) => {
        const c = randomCase(
          name,
          rows,
          name === "sparse_categorical_crossentropy" ? units + 1 : units,
          seed,
        );
        const weights = randomWeights(rows, seed);
        const numeric = numericalGradient(
          (predictions) => loss.evaluate({ ...c, predictions, weights }),
          c.predictions,
        );
        expect(worstError(gradientOf(loss, c, weights), numeric)).toBeLessThan(1e-6);
      }),
      { numRuns: 60 },
    );
  });

  test.each(LOSS_NAMES)(
    "%s returns Σ weight·ℓ, and shards of 1/B weights add to the batch mean",
    (name) => {
      const loss = lossByName(name);
      const units = 4;
      const c = randomCase(name, 6, units, 42);
      const perSample = perSampleOf(loss, c);
      const weights = randomWeights(6, 42);
      const expected = perSample.reduce((sum, l, r) => sum + weights[r] * l, 0);
      expect(loss.evaluate({ ...c, weights })).toBeCloseTo(expected, 14);
      // Keras's sum_over_batch_size on the whole batch, computed as two workers' shards.
      const mean = perSample.reduce((a, b) => a + b, 0) / 6;
      const third = new Float64Array(6).fill(1 / 6);
      const split = name === "sparse_categorical_crossentropy" ? 3 : 3 * units;
      const shard = (from: number, to: number, t0: number, t1: number) =>
        loss.evaluate({
          predictions: c.predictions.subarray(from, to),
          targets: c.targets.subarray(t0, t1),
          units,
          weights: third.subarray(0, (to - from) / units),
        });
      const halves =
        shard(0, 3 * units, 0, split) + shard(3 * units, 6 * units, split, c.targets.length);
      expect(halves).toBeCloseTo(mean, 14);
      // A row's gradient scales with its weight.
      const unweighted = gradientOf(loss, c);
      const weighted = gradientOf(loss, c, weights);
      expect(
        worstError(
          weighted,
          unweighted.map((g, i) => g * weights[Math.floor(i / units)]),
        ),
      ).toBeLessThan(1e-15);
    },
  );

  test("padding rows of weight 0 get a zero gradient even when their loss is not finite", () => {
    const predictions = Float64Array.of(0.2, 0.8, 0, 0);
    const gradient = new Float64Array(4).fill(7);
    const loss = lossByName("categorical_crossentropy");
    const total = loss.evaluate(
      {
        predictions,
        targets: Float64Array.of(0, 1, 0, 0),
        units: 2,
        weights: Float64Array.of(1, 0),
      },
      { gradient },
    );
    expect(total).toBeCloseTo(-Math.log(0.8), 15);
    expect(Array.from(gradient.subarray(2))).toEqual([0, 0]);
  });
});

/** Float32 predictions and targets as tfjs sees them, including values the clip acts on. */
function float32Case(name: LossName, rows: number, units: number, seed: number) {
  const c = randomCase(name, rows, units, seed);
  const predictions = Float32Array.from(c.predictions);
  if (name.endsWith("crossentropy")) {
    predictions[0] = 0;
    predictions[units + 1] = 1e-9;
    if (name === "binary_crossentropy") predictions[2] = 1;
  }
  return { predictions, targets: Float32Array.from(c.targets), units };
}

/** Each loss's per-sample value by tfjs (cpu backend); tfjs's epsilon is Keras's 1e-7. */
function tfjsPerSample(
  name: LossName,
  p: Float32Array,
  y: Float32Array,
  rows: number,
  units: number,
) {
  return tf.tidy(() => {
    const pred = tf.tensor2d(p, [rows, units]);
    const rowTargets = () => tf.tensor2d(y, [rows, units]);
    switch (name) {
      case "categorical_crossentropy":
        return tf.metrics.categoricalCrossentropy(rowTargets(), pred).dataSync();
      case "sparse_categorical_crossentropy": {
        // Keras 3 one-hots the labels and calls categorical_crossentropy; tfjs's own sparse
        // version clips before rescaling, which Keras does not.
        const oneHot = tf.oneHot(tf.tensor1d(y, "int32"), units);
        return tf.metrics.categoricalCrossentropy(oneHot, pred).dataSync();
      }
      case "binary_crossentropy":
        return tf.metrics.binaryCrossentropy(rowTargets(), pred).dataSync();
      case "mse":
        return tf.metrics.meanSquaredError(rowTargets(), pred).dataSync();
      case "mae":
        return tf.metrics.meanAbsoluteError(rowTargets(), pred).dataSync();
      case "huber":
        return tf.losses
          .huberLoss(rowTargets(), pred, undefined, 1, tf.Reduction.NONE)
          .mean(-1)
          .dataSync();
    }
  });
}

describe("losses against tfjs", () => {
  test.each(LOSS_NAMES)("%s per-sample values, clipped extremes included", (name) => {
    const rows = 5;
    const units = 4;
    const c = float32Case(name, rows, units, 9);
    const perSample = new Float64Array(rows);
    lossByName(name).evaluate(c, { perSample });
    const expected = tfjsPerSample(name, c.predictions, c.targets, rows, units);
    expect(worstError(perSample, expected)).toBeLessThan(2e-6);
  });

  test("fused softmax and sigmoid cross-entropies equal tfjs's from-logits losses", () => {
    const next = mulberry(3);
    const rows = 4;
    const units = 5;
    const logits = Float32Array.from({ length: rows * units }, () => 20 * next() - 10);
    const labels = Float32Array.from({ length: rows }, () => Math.floor(next() * units));
    const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), units).cast("float32"));
    const bits = Float32Array.from({ length: rows * units }, () => Math.round(next()));
    const [softmaxCe, sigmoidCe] = tf.tidy(() => [
      tf.losses
        .softmaxCrossEntropy(
          oneHot,
          tf.tensor2d(logits, [rows, units]),
          undefined,
          0,
          tf.Reduction.NONE,
        )
        .dataSync(),
      tf.losses
        .sigmoidCrossEntropy(
          tf.tensor2d(bits, [rows, units]),
          tf.tensor2d(logits, [rows, units]),
          undefined,
          0,
          tf.Reduction.NONE,
        )
        .mean(-1)
        .dataSync(),
    ]);
    const perSample = (loss: FusedLoss, targets: Floats) => {
      const out = new Float64Array(rows);
      loss.evaluate({ predictions: logits, targets, units }, { perSample: out });
      return out;
    };
    const categorical = fusedLoss("categorical_crossentropy", "softmax")!;
    const sparse = fusedLoss("sparse_categorical_crossentropy", "softmax")!;
    const binary = fusedLoss("binary_crossentropy", "sigmoid")!;
    expect(
      worstError(perSample(categorical, oneHot.dataSync() as Float32Array), softmaxCe),
    ).toBeLessThan(2e-6);
    expect(worstError(perSample(sparse, labels), softmaxCe)).toBeLessThan(2e-6);
    expect(worstError(perSample(binary, bits), sigmoidCe)).toBeLessThan(2e-6);
    oneHot.dispose();
  });
});

const FUSED: [LossName, "softmax" | "sigmoid"][] = [
  ["categorical_crossentropy", "softmax"],
  ["sparse_categorical_crossentropy", "softmax"],
  ["binary_crossentropy", "sigmoid"],
];

describe("fused losses", () => {
  test.each(FUSED)(
    "%s after %s: the gradient is finite differences on the logits",
    (name, activation) => {
      const fused = fusedLoss(name, activation)!;
      expect(fused.activation).toBe(activation);
      fc.assert(
        fc.property(shapes, ([rows, units, seed]) => {
          const c = randomCase(name, rows, units + 1, seed);
          const next = mulberry(seed + 5);
          const logits = c.predictions.map(() => 12 * next() - 6);
          const weights = randomWeights(rows, seed);
          const numeric = numericalGradient(
            (z) => fused.evaluate({ ...c, predictions: z, weights }),
            logits,
          );
          const gradient = gradientOf(fused, { ...c, predictions: logits }, weights);
          expect(worstError(gradient, numeric)).toBeLessThan(1e-7);
        }),
        { numRuns: 60 },
      );
    },
  );

  test.each(FUSED)(
    "%s after %s equals the activation then the loss on probabilities, chained backward",
    (name, activation) => {
      const fused = fusedLoss(name, activation)!;
      const loss = lossByName(name);
      const f = activationByName(activation);
      const units = 6;
      const c = randomCase(name, 4, units, 17);
      const next = mulberry(17);
      const logits = c.predictions.map(() => 6 * next() - 3);
      const probabilities = new Float64Array(logits.length);
      f.forward(logits, probabilities, units);
      const weights = randomWeights(4, 17);
      const fusedGradient = new Float64Array(logits.length);
      const activations = Float64Array.from(logits);
      const total = fused.evaluate(
        { ...c, predictions: logits, weights },
        { gradient: fusedGradient, activations },
      );
      expect(total).toBeCloseTo(loss.evaluate({ ...c, predictions: probabilities, weights }), 12);
      expect(worstError(activations, probabilities)).toBeLessThan(1e-15);
      const chained = gradientOf(loss, { ...c, predictions: probabilities }, weights);
      f.backward(chained, { output: probabilities }, units);
      expect(worstError(fusedGradient, chained)).toBeLessThan(1e-10);
      // In place: the logits buffer receives the probabilities; loss and gradient unchanged.
      const inPlaceGradient = new Float64Array(logits.length);
      const inPlaceTotal = fused.evaluate(
        { ...c, predictions: logits, weights },
        { activations: logits, gradient: inPlaceGradient },
      );
      expect(inPlaceTotal).toBe(total);
      expect(Array.from(inPlaceGradient)).toEqual(Array.from(fusedGradient));
      expect(worstError(logits, probabilities)).toBeLessThan(1e-15);
    },
  );

  test("a confidently wrong sample: the clip stops the probability form's gradient, not the fused one", () => {
    const targets = Float64Array.of(1, 0);
    const probabilities = Float64Array.of(0, 1);
    const gradient = new Float64Array(2);
    const ce = lossByName("categorical_crossentropy");
    const clipped = ce.evaluate({ predictions: probabilities, targets, units: 2 }, { gradient });
    expect(clipped).toBeCloseTo(-Math.log(Math.fround(1e-7)), 12);
    expect(Array.from(gradient)).toEqual([0, 0]);
    const fused = fusedLoss("categorical_crossentropy", "softmax")!;
    const logits = Float64Array.of(-30, 30);
    expect(fused.evaluate({ predictions: logits, targets, units: 2 }, { gradient })).toBeCloseTo(
      60,
      12,
    );
    expect(Array.from(gradient)).toEqual([-1, 1]);
  });

  test("only matching activations fuse", () => {
    expect(fusedLoss("categorical_crossentropy", "sigmoid")).toBeUndefined();
    expect(fusedLoss("binary_crossentropy", "softmax")).toBeUndefined();
    expect(fusedLoss("mse", "linear")).toBeUndefined();
    expect(fusedLoss("sparse_categorical_crossentropy", "softmax")?.targets).toBe("class-indices");
  });
});

describe("bad input", () => {
  test("an unknown loss lists the valid names; Keras's long names resolve", () => {
    expect(() => lossByName("hinge")).toThrow(
      'unknown loss "hinge": expected one of categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae, huber, mean_squared_error, mean_absolute_error',
    );
    expect(lossByName("mean_squared_error").name).toBe("mse");
    expect(lossByName("mean_absolute_error").name).toBe("mae");
    expect(() => lossByName("toString")).toThrow("unknown loss");
  });

  test("targets of the wrong shape name what was expected and what came", () => {
    const predictions = new Float32Array(30).fill(0.1);
    expect(() =>
      lossByName("categorical_crossentropy").evaluate({
        predictions,
        targets: new Float32Array(20),
        units: 10,
      }),
    ).toThrow(
      "categorical_crossentropy: targets have 20 values, expected 30 (3 rows × 10 units, like predictions)",
    );
    expect(() =>
      lossByName("sparse_categorical_crossentropy").evaluate({
        predictions,
        targets: new Float32Array(30),
        units: 10,
      }),
    ).toThrow(
      "sparse_categorical_crossentropy: targets have 30 values, expected 3 (one class index for each of 3 rows)",
    );
    expect(() =>
      lossByName("mse").evaluate({ predictions, targets: new Float32Array(30), units: 7 }),
    ).toThrow("mse: predictions have 30 values, not a whole number of rows of 7 units");
    expect(() =>
      lossByName("mse").evaluate(
        { predictions, targets: new Float32Array(30), units: 10 },
        { gradient: predictions.subarray(5) },
      ),
    ).toThrow("mse: gradient have 25 values, expected 30");
    expect(() =>
      lossByName("mse").evaluate(
        { predictions, targets: new Float32Array(30), units: 10 },
        { gradient: predictions },
      ),
    ).toThrow("mse: gradient must not share memory with predictions");
  });

  test("class indices must be integers within the units", () => {
    const predictions = new Float32Array(6).fill(1 / 3);
    for (const [label, fused] of [
      [3, false],
      [-1, true],
      [1.5, false],
    ] as const) {
      const loss = fused
        ? fusedLoss("sparse_categorical_crossentropy", "softmax")!
        : lossByName("sparse_categorical_crossentropy");
      expect(() =>
        loss.evaluate({ predictions, targets: Float32Array.of(0, label), units: 3 }),
      ).toThrow(
        `sparse_categorical_crossentropy: row 1 has class index ${label}, expected an integer in [0, 2]`,
      );
    }
  });
});

describe("defaultTraining: the data decides", () => {
  const cases: [TargetKind, Partial<TrainingChoice>][] = [
    [
      { kind: "class-indices", classes: 10 },
      {
        loss: "sparse_categorical_crossentropy",
        activation: "softmax",
        units: 10,
        targets: "class-indices",
        metrics: ["accuracy"],
        description:
          "the data decides: 10 classes (class indices) → 10 softmax outputs, loss sparse_categorical_crossentropy, metrics accuracy",
      },
    ],
    [
      { kind: "class-indices", classes: 2 },
      {
        loss: "binary_crossentropy",
        activation: "sigmoid",
        units: 1,
        targets: "rows",
        metrics: ["accuracy"],
        description:
          "the data decides: 2 classes (class indices 0/1) → 1 sigmoid output, loss binary_crossentropy, metrics accuracy",
      },
    ],
    [
      { kind: "one-hot", classes: 3 },
      {
        loss: "categorical_crossentropy",
        activation: "softmax",
        units: 3,
        targets: "rows",
        metrics: ["accuracy"],
        description:
          "the data decides: 3 classes (one-hot rows) → 3 softmax outputs, loss categorical_crossentropy, metrics accuracy",
      },
    ],
    [
      { kind: "multi-label", labels: 5 },
      {
        loss: "binary_crossentropy",
        activation: "sigmoid",
        units: 5,
        targets: "rows",
        metrics: ["binary_accuracy"],
        description:
          "the data decides: 5 independent 0/1 labels → 5 sigmoid outputs, loss binary_crossentropy, metrics binary_accuracy",
      },
    ],
    [
      { kind: "numbers", outputs: 1 },
      {
        loss: "mse",
        activation: "linear",
        units: 1,
        targets: "rows",
        metrics: ["mae"],
        description:
          "the data decides: 1 real-valued target → 1 linear output, loss mse, metrics mae",
      },
    ],
  ];
  test.each(cases)("%o", (targets, expected) => {
    const choice = defaultTraining(targets);
    expect(choice).toEqual(expected as TrainingChoice);
    // The layout the choice promises is the one its loss reads; a classifier's activation fuses.
    expect(lossByName(choice.loss).targets).toBe(choice.targets);
    if (choice.activation !== "linear") {
      expect(fusedLoss(choice.loss, choice.activation)).toBeDefined();
    }
  });

  test("too few classes, labels or outputs are refused", () => {
    expect(() => defaultTraining({ kind: "class-indices", classes: 1 })).toThrow(
      "targets: expected at least 2 classes, got 1",
    );
    expect(() => defaultTraining({ kind: "numbers", outputs: 0 })).toThrow(
      "targets: expected at least 1 outputs, got 0",
    );
  });
});
