/**
 * MNIST's first samples as the arrays `train({ data })` takes, with targets made for a loss:
 * one-hot rows for categorical cross-entropy, class indices 0/1 (digit ≥ 5) for binary, the
 * digit / 9 as a number for the regression losses. Runtime-free: Bun and Deno tests use it.
 */
import type { ArrayDataset, ArraySplit } from "../../src/core/data/arrays.ts";
import type { Dataset, ImageSet } from "../../src/core/data/dataset.ts";

export function mnistArraysFor(
  dataset: Dataset,
  loss: string,
  trainCount: number,
  testCount: number,
): ArrayDataset {
  return {
    train: split(dataset.train, loss, trainCount),
    test: split(dataset.test, loss, testCount),
  };
}

function split(set: ImageSet, loss: string, n: number): ArraySplit {
  const px = set.rows * set.cols;
  const x = {
    data: Float32Array.from(set.images.subarray(0, n * px), (v) => v / 255),
    shape: [n, px],
  };
  const labels = set.labels.subarray(0, n);
  if (loss === "binary_crossentropy") {
    return {
      x,
      y: { kind: "classes", data: Int32Array.from(labels, (l) => (l >= 5 ? 1 : 0)), classes: 2 },
    };
  }
  if (loss === "categorical_crossentropy") {
    const data = new Float32Array(n * 10);
    labels.forEach((label, i) => {
      data[i * 10 + label] = 1;
    });
    return { x, y: { kind: "one-hot", data, classes: 10 } };
  }
  return { x, y: { kind: "numbers", data: Float32Array.from(labels, (l) => l / 9), outputs: 1 } };
}
