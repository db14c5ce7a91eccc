import { describe, expect, test } from "bun:test";
import type { ArrayDataset, SparseInputs, Targets } from "../../src/core/data/arrays.ts";
import { Rng } from "../../src/core/data/rng.ts";
import { initParams } from "../../src/core/model/init.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { train } from "../../src/train/train.ts";
import type { TrainEvent, TrainOptions } from "../../src/train/types.ts";
import { maxAbsDiff } from "../support/reference.ts";

/**
 * `train({ data })` with CSR inputs (x as rowStart, index, value) trains the very weights the
 * same samples give as dense float32: the rows go to the workers as rows (shard format 3),
 * validation and the predicted-vs-true plot densify a chunk at a time.
 */

const WIDTH = 600;

/** `n` rows of `WIDTH` with about `density` of them nonzero (values, or 1 when `ones`). */
function rows(n: number, density: number, ones: boolean, seed: number) {
  const rng = Rng.fromSeed(seed);
  const rowStart = new Uint32Array(n + 1);
  const index: number[] = [];
  const value: number[] = [];
  const low = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < WIDTH; j++) {
      if (rng.next() >= density) continue;
      index.push(j);
      value.push(ones ? 1 : Math.fround(rng.next() * 2 - 0.5) || 1);
      if (j < WIDTH / 2) low[i]++;
    }
    rowStart[i + 1] = index.length;
  }
  const x: SparseInputs = {
    rowStart,
    index: Uint32Array.from(index),
    value: Float32Array.from(value),
    shape: [n, WIDTH],
  };
  return { x, low, count: Float32Array.from(rowStart.subarray(1), (end, i) => end - rowStart[i]) };
}

/** The rows as dense float32 (one cell at a time, independent of the library's code). */
function dense(x: SparseInputs) {
  const [n, width] = x.shape;
  const data = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let e = x.rowStart[i]; e < x.rowStart[i + 1]; e++) {
      data[i * width + x.index[e]] = x.value ? x.value[e] : 1;
    }
  }
  return { data, shape: [n, width] };
}

function dataset(density: number, ones: boolean, regression: boolean): ArrayDataset {
  const split = (n: number, seed: number) => {
    const { x, low, count } = rows(n, density, ones, seed);
    const y: Targets = regression
      ? {
          kind: "numbers",
          data: Float32Array.from(low, (v, i) => v / Math.max(1, count[i])),
          outputs: 1,
        }
      : {
          kind: "classes",
          data: Int32Array.from(low, (v, i) => (2 * v > count[i] ? 1 : 0)),
          classes: 2,
        };
    return { x, y };
  };
  return { train: split(320, 1), test: split(90, 2) };
}

const densified = (data: ArrayDataset): ArrayDataset => ({
  train: { ...data.train, x: dense(data.train.x as SparseInputs) },
  test: { ...data.test, x: dense(data.test.x as SparseInputs) },
});

async function run(data: ArrayDataset, regression: boolean) {
  const events: TrainEvent[] = [];
  const options: TrainOptions = {
    data,
    model: mlpSpec([12], WIDTH, 1, regression ? "linear" : "sigmoid"),
    workers: 1,
    epochs: 2,
    batchSize: 32,
    validationSplit: 0.25,
    learningRate: 0.01,
    out: false,
    onProgress: (e) => events.push(e),
  };
  const result = await train(options);
  return { result, events };
}

describe("CSR inputs train as their dense samples do", () => {
  test.each([
    ["multi-hot at 3% (both ship as rows)", 0.03, true, false],
    ["values at 70% (the dense samples ship dense, the rows as rows)", 0.7, false, false],
    ["regression on values at 5%: the predicted-vs-true plot too", 0.05, false, true],
  ])(
    "%s: the same weights, losses and evaluations",
    async (_, density, ones, regression) => {
      const data = dataset(density, ones, regression);
      const sparse = await run(data, regression);
      const given = await run(densified(data), regression);
      expect(maxAbsDiff(sparse.result.params, given.result.params)).toBeLessThanOrEqual(1e-6);
      // It trained: the weights moved from their initial values.
      const start = initParams(sparse.result.spec, 1);
      expect(maxAbsDiff(sparse.result.params, start)).toBeGreaterThan(1e-3);
      const history = (r: typeof sparse) =>
        r.result.history.flatMap((h) => [
          h.trainLoss,
          h.valLoss ?? Number.NaN,
          h.testLoss,
          h.testAccuracy,
        ]);
      const [a, b] = [history(sparse), history(given)];
      expect(a.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(Float32Array.from(a), Float32Array.from(b))).toBeLessThanOrEqual(1e-5);
      const plot = (r: typeof sparse) => r.events.find((e) => e.type === "regressionEvaluation");
      if (regression) {
        const [p, q] = [plot(sparse), plot(given)];
        expect(p).toBeDefined();
        expect(p).toEqual(q);
      } else {
        expect(plot(sparse)).toBeUndefined();
      }
    },
    120_000,
  );
});
