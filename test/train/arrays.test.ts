import { describe, expect, test } from "bun:test";
import type { ArrayDataset } from "../../src/core/data/arrays.ts";
import { Rng } from "../../src/core/data/rng.ts";
import { conv2d, dense, flatten, type ModelSpec } from "../../src/core/model/sequential.ts";
import { train } from "../../src/train/train.ts";
import type { TrainEvent, TrainOptions } from "../../src/train/types.ts";

/**
 * `train({ data })`: arrays a program made itself, of any sample shape, with class indices,
 * one-hot rows or numbers; models checked against them with the expected and the given.
 */

/** `n` samples of `shape`, each class a bump in its own place plus noise. */
function blobs(n: number, shape: number[], classes: number, seed: number) {
  const rng = Rng.fromSeed(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const labels = Int32Array.from({ length: n }, () => rng.int(classes));
  const data = new Float32Array(n * size);
  labels.forEach((label, i) => {
    for (let j = 0; j < size; j++) {
      const signal = j % classes === label ? 1 : 0;
      data[i * size + j] = signal + 0.3 * (rng.next() - 0.5);
    }
  });
  return { x: { data, shape: [n, ...shape] }, labels };
}

function classData(shape: number[], classes: number): ArrayDataset {
  const split = (n: number, seed: number) => {
    const { x, labels } = blobs(n, shape, classes, seed);
    return { x, y: { kind: "classes" as const, data: labels, classes } };
  };
  return { train: split(256, 1), test: split(64, 2) };
}

const quick = (options: TrainOptions): TrainOptions => ({
  epochs: 3,
  batchSize: 32,
  workers: 2,
  out: false,
  ...options,
});

describe("train({ data }) on arrays", () => {
  test("images of [8, 8, 1] train a convnet; class indices decide sparse cross-entropy", async () => {
    const model: ModelSpec = {
      inputShape: [8, 8, 1],
      layers: [
        conv2d(4, 3, { activation: "tanh" }),
        flatten(),
        dense(3, { activation: "softmax" }),
      ],
    };
    const events: TrainEvent[] = [];
    const result = await train(
      quick({ data: classData([8, 8, 1], 3), model, onProgress: (e) => events.push(e) }),
    );
    expect(events.find((e) => e.type === "training")).toEqual({
      type: "training",
      loss: "sparse_categorical_crossentropy",
      description:
        "the data (3 classes, as indices) and the model's output decide: loss sparse_categorical_crossentropy",
    });
    expect(result.history.at(-1)!.testAccuracy).toBeGreaterThan(0.9);
  });

  test("one-hot rows decide categorical cross-entropy; --metrics adds top-k", async () => {
    const data = classData([12], 4);
    const oneHot = (split: ArrayDataset["train"]) => {
      const y = split.y as { data: Int32Array };
      const rows = new Float32Array(y.data.length * 4);
      y.data.forEach((label, i) => {
        rows[i * 4 + label] = 1;
      });
      return { x: split.x, y: { kind: "one-hot" as const, data: rows, classes: 4 } };
    };
    const result = await train(
      quick({
        data: { train: oneHot(data.train), test: oneHot(data.test) },
        hidden: [8],
        metrics: ["accuracy", "top_k_categorical_accuracy"],
      }),
    );
    expect(result.loss).toBe("categorical_crossentropy");
    const last = result.history.at(-1)!;
    expect(Object.keys(last.test ?? {})).toEqual([
      "loss",
      "accuracy",
      "top_k_categorical_accuracy",
    ]);
    // Top 5 of 4 classes always holds the label.
    expect(last.test?.top_k_categorical_accuracy).toBe(1);
    expect(last.metrics?.top_k_categorical_accuracy).toBe(1);
  });

  test("a model that does not fit the data is refused: expected vs got", async () => {
    const data = classData([12], 3);
    const model = (inputs: number, units: number, activation: "softmax" | "linear") => ({
      inputShape: [inputs],
      layers: [dense(units, { activation })],
    });
    await expect(train(quick({ data, model: model(13, 3, "softmax") }))).rejects.toThrow(
      'model "custom": the samples hold 12 values each (shape [12]), the model expects 13 inputs',
    );
    await expect(train(quick({ data, model: model(12, 4, "softmax") }))).rejects.toThrow(
      'model "custom": the data has 3 classes, the model has 4 outputs: expected 3',
    );
    await expect(train(quick({ data, model: model(12, 3, "linear") }))).rejects.toThrow(
      'model "custom": loss sparse_categorical_crossentropy needs probabilities: the last layer\'s activation must be softmax or sigmoid, got linear',
    );
    await expect(
      train(
        quick({
          data,
          loss: "categorical_crossentropy",
          metrics: ["sparse_top_k_categorical_accuracy"],
        }),
      ),
    ).rejects.toThrow(
      "metric sparse_top_k_categorical_accuracy reads class indices but loss categorical_crossentropy trains on target rows",
    );
    await expect(train(quick({ data, metrics: ["f1"] }))).rejects.toThrow(
      /unknown metric "f1": expected one of accuracy, /,
    );
    await expect(train(quick({ data, loss: "hinge" }))).rejects.toThrow(/loss: .*"hinge"/);
    expect(() => train(quick({ data, dataDir: "somewhere" }))).toThrow(
      "data: expected no dataDir beside data (one data source)",
    );
  });
});
