import { describe, expect, test } from "bun:test";
import { type SampleSet, sliceSamples } from "../../src/core/data/dataset.ts";
import { formatBytes, trainingMemory } from "../../src/core/model/memory.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { conv2d, dense, flatten, modelLayout } from "../../src/core/model/sequential.ts";
import {
  checkTrainingMemory,
  isAllocationFailure,
  withAllocationContext,
} from "../../src/train/memory-check.ts";

const mlp = (units: number) => ({
  inputShape: [784],
  layers: [dense(units, { activation: "relu" }), dense(10, { activation: "softmax" })],
});
const SHAPE = { threads: 2, batchPerThread: 64, optimizerSlots: 1 };
const estimate = (spec: ReturnType<typeof mlp>, shape = SHAPE) =>
  trainingMemory(modelLayout(spec), shape);

describe("trainingMemory", () => {
  test("grows with the parameters at least by the plane's copies (params ×2, state ×2, one gradient row per thread)", () => {
    const small = estimate(mlp(1000));
    const large = estimate(mlp(2000));
    const addedParams = 1000 * (784 + 1 + 10);
    expect(large.bytes - small.bytes).toBeGreaterThanOrEqual(addedParams * 4 * (2 + 2 + 2));
  });

  test("grows with threads, the batch and the optimizer's state", () => {
    const base = estimate(mlp(512)).bytes;
    expect(estimate(mlp(512), { ...SHAPE, threads: 4 }).bytes).toBeGreaterThan(base);
    expect(estimate(mlp(512), { ...SHAPE, batchPerThread: 512 }).bytes).toBeGreaterThan(base);
    expect(estimate(mlp(512), { ...SHAPE, optimizerSlots: 2 }).bytes).toBeGreaterThan(base);
  });

  test("names the layer that needs the most", () => {
    expect(estimate(mlp(4096)).largest).toMatchObject({ index: 0 });
    const conv = modelLayout({
      inputShape: [28, 28, 1],
      layers: [conv2d(4, 3), flatten(), dense(5000), dense(10, { activation: "softmax" })],
    });
    expect(trainingMemory(conv, SHAPE).largest.index).toBe(2);
  });

  test("counts a convolution's patches with its activations", () => {
    const conv = (filters: number) =>
      modelLayout({
        inputShape: [28, 28, 1],
        layers: [conv2d(filters, 3), flatten(), dense(10, { activation: "softmax" })],
      });
    // 26×26 output pixels × (3·3·1) patch values + 2 × 26×26×filters activations, per sample.
    const perThread = (f: number) => trainingMemory(conv(f), { ...SHAPE, threads: 1 });
    expect(perThread(8).perThreadBytes).toBeGreaterThan((26 * 26 * 9 + 2 * 26 * 26 * 8) * 64 * 4);
  });
});

describe("checkTrainingMemory", () => {
  const config = { workers: 2, batchSize: 128 };

  test("passes the book's MLP on a 1 GiB machine", () => {
    expect(() => checkTrainingMemory(mlp(512), config, "mlp", 2 ** 30)).not.toThrow();
  });

  test("refuses a model larger than the machine, naming the source, the layer and the figures", () => {
    expect(() => checkTrainingMemory(mlp(200_000), config, "big.json", 8 * 2 ** 30)).toThrow(
      /^big\.json: training needs about [\d.]+ GiB with 2 workers at batch 128; this machine has 8\.0 GiB\. Its largest, layer 0 \(Dense\(200000, relu\), "dense_Dense1"\) needs [\d.]+ GiB/,
    );
  });

  test("counts the data as held: CSR rows at their size, not the dense block they stand for", () => {
    // 2,500 × 10,000 multi-hot at 1.5%: 1.5 MB of rows, 100 MB as dense float32.
    const [count, width, ones] = [2_500, 10_000, 150];
    const y = { kind: "classes", labels: new Int32Array(count), classes: 2 } as const;
    const rows: SampleSet = {
      count,
      sampleShape: [width],
      x: {
        rowStart: Uint32Array.from({ length: count + 1 }, (_, i) => i * ones),
        index: Uint32Array.from({ length: count * ones }, (_, e) => (e % ones) * 66),
        value: undefined,
      },
      y,
    };
    const dense: SampleSet = { ...rows, x: new Float32Array(count * width) };
    const spec = mlpSpec([16, 16], width, 1, "sigmoid");
    const machine = 128 * 2 ** 20;
    const sparseData = { train: rows, test: sliceSamples(rows, 0, 100) };
    expect(() => checkTrainingMemory(spec, config, "m", machine, sparseData)).not.toThrow();
    const denseData = { train: dense, test: sliceSamples(dense, 0, 100) };
    // 3 copies (loaded, shards, workers) of 99 MiB.
    expect(() => checkTrainingMemory(spec, config, "m", machine, denseData)).toThrow(
      /^m: training needs about [\d.]+ MiB \(29\d MiB of it the data\) with 2 workers/,
    );
  });

  test("refuses a step larger than a worker's 4 GiB WebAssembly memory, even on a large machine", () => {
    expect(() => checkTrainingMemory(mlp(400_000), config, "wide", 2 ** 50)).toThrow(
      /^wide: a worker thread's step needs about [\d.]+ GiB; its WebAssembly memory holds at most 4 GiB/,
    );
  });
});

test("formatBytes", () => {
  expect([512, 1536, 5 * 2 ** 20, 1.5 * 2 ** 30, 300 * 2 ** 40].map(formatBytes)).toEqual([
    "512 bytes",
    "1.5 KiB",
    "5.0 MiB",
    "1.5 GiB",
    "300 TiB",
  ]);
});

describe("an allocation the runtime cannot make", () => {
  const config = {
    workers: 2,
    batchSize: 128,
    model: { kind: "file", path: "wide.json" },
  } as const;

  test("is restated naming the model's file, its largest layer and the estimate", async () => {
    // What V8 and JavaScriptCore throw when an ArrayBuffer or a wasm memory cannot be had.
    for (const message of ["Array buffer allocation failed", "Out of memory"]) {
      const failing = withAllocationContext(mlp(4096), config, async () => {
        throw new RangeError(message);
      });
      await expect(failing).rejects.toThrow(
        new RegExp(
          `^wide\\.json: out of memory while setting up the run \\(${message}\\); it needs about [\\d.]+ MiB, its largest, layer 0 \\(Dense\\(4096, relu\\), "dense_Dense1"\\)`,
        ),
      );
    }
  });

  test("a real allocation failure is one: SharedArrayBuffer beyond what the runtime gives", async () => {
    const failing = withAllocationContext(
      mlp(64),
      config,
      async () => new SharedArrayBuffer(2 ** 52),
    );
    await expect(failing).rejects.toThrow(/^wide\.json: out of memory while setting up the run/);
  });

  test("any other error passes unchanged (a ConfigError is a RangeError too)", async () => {
    const other = new RangeError("workers: expected 1 to 64, got 0");
    await expect(
      withAllocationContext(mlp(64), config, async () => Promise.reject(other)),
    ).rejects.toBe(other);
    expect(isAllocationFailure(new Error("Out of memory"))).toBe(false);
  });
});
