import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import type { LossName } from "../../../src/core/loss/index.ts";
import {
  historyKeys,
  type MetricFunction,
  type MetricInput,
  meanState,
  meanValue,
  measureBatch,
  mergeMeans,
  resolveMetrics,
  validationKey,
} from "../../../src/core/metric/index.ts";
import { mulberry } from "../../support/random.ts";

await tf.setBackend("cpu");

function fnFor(name: string, loss: LossName, units: number): MetricFunction {
  return resolveMetrics([name], { loss, units })[0].fn;
}

/** Predictions with ties (values on a coarse grid), their targets per layout, 0/1 weights. */
function batch(
  seed: number,
  rows: number,
  units: number,
  layout: "one-hot" | "indices" | "bits" | "numbers",
) {
  const next = mulberry(seed);
  const predictions = Float32Array.from({ length: rows * units }, () => Math.round(next() * 8) / 8);
  let targets: Float32Array;
  if (layout === "indices") {
    targets = Float32Array.from({ length: rows }, () => Math.floor(next() * units));
  } else if (layout === "one-hot") {
    targets = new Float32Array(rows * units);
    for (let r = 0; r < rows; r++) targets[r * units + Math.floor(next() * units)] = 1;
  } else if (layout === "bits") {
    targets = Float32Array.from({ length: rows * units }, () => Math.round(next()));
  } else {
    targets = Float32Array.from({ length: rows * units }, () => 4 * next() - 2);
  }
  const weights = Float32Array.from({ length: rows }, () => (next() < 0.25 ? 0 : 1));
  return { predictions, targets, units, weights };
}

/** The first index of the row's maximum, written the plain way. */
function argmax(row: ArrayLike<number>): number {
  return Array.from(row).indexOf(Math.max(...Array.from(row)));
}

function rowOf(values: Float32Array, r: number, units: number): number[] {
  return Array.from(values.subarray(r * units, (r + 1) * units));
}

/** Mean over real rows of `perSample`, computed directly. */
function directMean(input: MetricInput, perSample: (r: number) => number): number {
  let total = 0;
  let count = 0;
  for (let r = 0; r < input.weights!.length; r++) {
    if (input.weights![r] === 0) continue;
    total += perSample(r);
    count++;
  }
  return count === 0 ? 0 : total / count;
}

function measured(fn: MetricFunction, input: MetricInput): number {
  const state = meanState();
  measureBatch(fn, input, state);
  return meanValue(state);
}

/** k-th largest by sorting: a target is in the top k when its prediction reaches it. */
function inTopKBySorting(row: number[], label: number, k: number): boolean {
  if (row.length <= k) return true;
  const kth = [...row].sort((a, b) => b - a)[k - 1];
  return row[label] >= kth;
}

describe("metrics against a direct computation", () => {
  const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });
  const sizes = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 9 }));

  test("categorical_accuracy, sparse_categorical_accuracy, top-k (both), binary_accuracy, mae, mse", () => {
    fc.assert(
      fc.property(seeds, sizes, (seed, [rows, units]) => {
        const oneHot = batch(seed, rows, units, "one-hot");
        const labelOf = (r: number) => argmax(rowOf(oneHot.targets, r, units));
        const predicted = (r: number) => argmax(rowOf(oneHot.predictions, r, units));
        expect(
          measured(fnFor("categorical_accuracy", "categorical_crossentropy", units), oneHot),
        ).toBe(directMean(oneHot, (r) => (labelOf(r) === predicted(r) ? 1 : 0)));
        expect(
          measured(fnFor("top_k_categorical_accuracy", "categorical_crossentropy", units), oneHot),
        ).toBe(
          directMean(oneHot, (r) =>
            inTopKBySorting(rowOf(oneHot.predictions, r, units), labelOf(r), 5) ? 1 : 0,
          ),
        );

        const sparse = batch(seed, rows, units, "indices");
        const sparseLoss = "sparse_categorical_crossentropy";
        expect(measured(fnFor("sparse_categorical_accuracy", sparseLoss, units), sparse)).toBe(
          directMean(sparse, (r) =>
            sparse.targets[r] === argmax(rowOf(sparse.predictions, r, units)) ? 1 : 0,
          ),
        );
        expect(
          measured(fnFor("sparse_top_k_categorical_accuracy", sparseLoss, units), sparse),
        ).toBe(
          directMean(sparse, (r) =>
            inTopKBySorting(rowOf(sparse.predictions, r, units), sparse.targets[r], 5) ? 1 : 0,
          ),
        );

        const bits = batch(seed, rows, units, "bits");
        const binary = measured(fnFor("binary_accuracy", "binary_crossentropy", units), bits);
        const matches = (r: number) =>
          rowOf(bits.predictions, r, units).filter(
            (p, k) => (p > 0.5 ? 1 : 0) === bits.targets[r * units + k],
          ).length / units;
        expect(binary).toBeCloseTo(directMean(bits, matches), 14);

        const numbers = batch(seed, rows, units, "numbers");
        const errors = (r: number, f: (e: number) => number) =>
          rowOf(numbers.predictions, r, units).reduce(
            (s, p, k) => s + f(p - numbers.targets[r * units + k]),
            0,
          ) / units;
        expect(measured(fnFor("mae", "mse", units), numbers)).toBeCloseTo(
          directMean(numbers, (r) => errors(r, Math.abs)),
          12,
        );
        expect(measured(fnFor("mse", "mse", units), numbers)).toBeCloseTo(
          directMean(numbers, (r) => errors(r, (e) => e * e)),
          12,
        );
      }),
      { numRuns: 150 },
    );
  });

  test("per-sample values equal tfjs's metrics (cpu backend)", () => {
    const rows = 16;
    const units = 6;
    const perSample = (fn: MetricFunction, input: MetricInput) => {
      const values = new Float64Array(rows);
      fn.perSample(input, values);
      return Array.from(values);
    };
    const close = (values: number[], expected: ArrayLike<number>) =>
      values.every((v, i) => Math.abs(v - expected[i]) < 1e-6);
    const oneHot = batch(1, rows, units, "one-hot");
    const sparse = batch(2, rows, units, "indices");
    const bits = batch(3, rows, units, "bits");
    const numbers = batch(4, rows, units, "numbers");
    const t = (values: Float32Array) => tf.tensor2d(values, [values.length / units, units]);
    tf.tidy(() => {
      expect(
        close(
          perSample(fnFor("accuracy", "categorical_crossentropy", units), oneHot),
          tf.metrics.categoricalAccuracy(t(oneHot.targets), t(oneHot.predictions)).dataSync(),
        ),
      ).toBe(true);
      expect(
        close(
          perSample(fnFor("accuracy", "sparse_categorical_crossentropy", units), sparse),
          tf.metrics
            .sparseCategoricalAccuracy(tf.tensor1d(sparse.targets), t(sparse.predictions))
            .dataSync(),
        ),
      ).toBe(true);
      expect(
        close(
          perSample(fnFor("binary_accuracy", "binary_crossentropy", units), bits),
          tf.metrics.binaryAccuracy(t(bits.targets), t(bits.predictions)).dataSync(),
        ),
      ).toBe(true);
      expect(
        close(
          perSample(fnFor("mae", "mse", units), numbers),
          tf.metrics.meanAbsoluteError(t(numbers.targets), t(numbers.predictions)).dataSync(),
        ),
      ).toBe(true);
      expect(
        close(
          perSample(fnFor("mse", "mse", units), numbers),
          tf.metrics.meanSquaredError(t(numbers.targets), t(numbers.predictions)).dataSync(),
        ),
      ).toBe(true);
    });
  });

  test("top-k: ties at the boundary count as in, as Keras's in_top_k ranks", () => {
    const fn = fnFor("sparse_top_k_categorical_accuracy", "sparse_categorical_crossentropy", 7);
    const tie = { predictions: Float32Array.of(0.9, 0.8, 0.7, 0.6, 0.5, 0.5, 0.5), units: 7 };
    expect(measured(fn, { ...tie, targets: Float32Array.of(6) })).toBe(1);
    const below = { predictions: Float32Array.of(0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3), units: 7 };
    expect(measured(fn, { ...below, targets: Float32Array.of(5) })).toBe(0);
    const nan = { predictions: Float32Array.of(Number.NaN, 0, 0, 0, 0, 0, 1), units: 7 };
    expect(measured(fn, { ...nan, targets: Float32Array.of(0) })).toBe(0);
  });

  test("binary_accuracy's threshold is strict: 0.5 counts as class 0", () => {
    const fn = fnFor("accuracy", "binary_crossentropy", 1);
    const input = {
      predictions: Float32Array.of(0.5, 0.5000001, 0.2),
      targets: Float32Array.of(0, 1, 1),
      units: 1,
    };
    expect(measured(fn, input)).toBeCloseTo(2 / 3, 15);
  });
});

describe("streaming means", () => {
  test("N workers' partial states merged in any order equal one worker's, bit for bit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom("mae", "mse", "accuracy"),
        (seed, workers, name) => {
          const units = 5;
          const whole = batch(seed, 60, units, name === "accuracy" ? "one-hot" : "numbers");
          const fn = fnFor(name, name === "accuracy" ? "categorical_crossentropy" : "mse", units);
          const one = meanState();
          measureBatch(fn, whole, one);
          // Each worker measures contiguous shards of the batch, as a data-parallel step does.
          const next = mulberry(seed + 7);
          const states = Array.from({ length: workers }, () => meanState());
          for (let start = 0; start < 60; ) {
            const end = Math.min(60, start + 1 + Math.floor(next() * 9));
            measureBatch(
              fn,
              {
                predictions: whole.predictions.subarray(start * units, end * units),
                targets: whole.targets.subarray(start * units, end * units),
                weights: whole.weights.subarray(start, end),
                units,
              },
              states[Math.floor(next() * workers)],
            );
            start = end;
          }
          const merged = meanState();
          // As posted between threads: structured clones, merged in a shuffled order.
          for (const state of states.sort(() => next() - 0.5))
            mergeMeans(merged, structuredClone(state));
          expect(meanValue(merged)).toBe(meanValue(one));
        },
      ),
      { numRuns: 150 },
    );
  });

  test("a mean over no samples is 0, as Keras's divide_no_nan gives", () => {
    expect(meanValue(meanState())).toBe(0);
    const fn = fnFor("mae", "mse", 2);
    const state = meanState();
    measureBatch(
      fn,
      {
        predictions: Float32Array.of(1, 2),
        targets: Float32Array.of(0, 0),
        units: 2,
        weights: Float32Array.of(0),
      },
      state,
    );
    expect(meanValue(state)).toBe(0);
  });
});

describe("resolution, as Keras's compile resolves names", () => {
  test.each([
    ["categorical_crossentropy", 10, "categorical_accuracy"],
    ["sparse_categorical_crossentropy", 10, "sparse_categorical_accuracy"],
    ["binary_crossentropy", 1, "binary_accuracy"],
    // Keras decides by shape: several sigmoid outputs get categorical_accuracy.
    ["binary_crossentropy", 5, "categorical_accuracy"],
    ["mse", 1, "binary_accuracy"],
  ] as [LossName, number, string][])("accuracy with %s and %d units is %s", (loss, units, fn) => {
    for (const name of ["accuracy", "acc"]) {
      const [metric] = resolveMetrics([name], { loss, units });
      expect([metric.key, metric.fn.name]).toEqual([name, fn]);
    }
  });

  test("keys are the names given; repeats get Keras's suffixes", () => {
    const metrics = resolveMetrics(["accuracy", "mae", "accuracy", "mean_absolute_error"], {
      loss: "categorical_crossentropy",
      units: 3,
    });
    expect(metrics.map((m) => [m.key, m.fn.name])).toEqual([
      ["accuracy", "categorical_accuracy"],
      ["mae", "mean_absolute_error"],
      ["accuracy_1", "categorical_accuracy"],
      ["mean_absolute_error", "mean_absolute_error"],
    ]);
  });

  test("history keys", () => {
    expect(historyKeys(["accuracy"], true)).toEqual([
      "loss",
      "accuracy",
      "val_loss",
      "val_accuracy",
    ]);
    expect(historyKeys(["mae", "mse"], false)).toEqual(["loss", "mae", "mse"]);
    expect(validationKey("top_k_categorical_accuracy")).toBe("val_top_k_categorical_accuracy");
  });

  test("an unknown metric lists the valid names", () => {
    expect(() => resolveMetrics(["f1"], { loss: "mse", units: 1 })).toThrow(
      'unknown metric "f1": expected one of accuracy, acc, categorical_accuracy, sparse_categorical_accuracy, binary_accuracy, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mae, mean_absolute_error, mse, mean_squared_error',
    );
    expect(() => resolveMetrics(["constructor"], { loss: "mse", units: 1 })).toThrow(
      "unknown metric",
    );
  });

  test("a metric reading another target layout than the loss's is refused", () => {
    expect(() =>
      resolveMetrics(["sparse_categorical_accuracy"], {
        loss: "categorical_crossentropy",
        units: 10,
      }),
    ).toThrow(
      "metric sparse_categorical_accuracy reads class indices but loss categorical_crossentropy trains on target rows",
    );
    expect(() =>
      resolveMetrics(["mae"], { loss: "sparse_categorical_crossentropy", units: 10 }),
    ).toThrow(
      "metric mae reads target rows but loss sparse_categorical_crossentropy trains on class indices",
    );
  });

  test("targets of the wrong shape name what was expected and what came", () => {
    const fn = fnFor("accuracy", "sparse_categorical_crossentropy", 4);
    const predictions = new Float32Array(12);
    expect(() =>
      measureBatch(fn, { predictions, targets: new Float32Array(12), units: 4 }, meanState()),
    ).toThrow(
      "sparse_categorical_accuracy: targets have 12 values, expected 3 (one class index for each of 3 rows)",
    );
    expect(() =>
      measureBatch(fn, { predictions, targets: Float32Array.of(0, 4, 1), units: 4 }, meanState()),
    ).toThrow(
      "sparse_categorical_accuracy: row 1 has class index 4, expected an integer in [0, 3]",
    );
  });
});
