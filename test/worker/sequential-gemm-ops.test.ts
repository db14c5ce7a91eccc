import { beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { initSequentialParams } from "../../src/core/model/init.ts";
import { CONVNET_SPEC } from "../../src/core/model/presets.ts";
import {
  conv2d,
  dense,
  flatten,
  maxPooling2d,
  type SequentialSpec,
  sequentialLayout,
} from "../../src/core/model/sequential.ts";
import { useWasmBackend } from "../../src/tf/backend.ts";
import { createBatch, fillBatch } from "../../src/worker/batch.ts";
import { SequentialGemmStep } from "../../src/worker/sequential-gemm.ts";
import { sequentialGradientsInto } from "../../src/worker/sequential-step.ts";

/**
 * The gemm step, its loops on the step-ops SIMD kernels, against the tfjs step (an independent
 * reference: tfjs's own conv, pooling and hand-derived backward): the convnet, and a model that
 * takes the other paths — a conv without bias, 'same' padding, stride 2, a 3×3 stride-1 pooling
 * (the TS loops) and 2×2 pooling of an odd size.
 */

let data: Dataset;
beforeAll(async () => {
  data = await loadIdxDataset();
  await useWasmBackend();
});

const OTHER_PATHS: SequentialSpec = {
  inputShape: [28, 28, 1],
  layers: [
    conv2d(6, 3, { padding: "same", useBias: false, activation: "relu" }),
    maxPooling2d(3, { strides: 1 }),
    conv2d(5, 3, { strides: 2, padding: "same", activation: "relu" }), // 13×13: pooled with a rest
    maxPooling2d(2),
    flatten(),
    dense(10, { activation: "softmax" }),
  ],
};

describe("SequentialGemmStep on the step-ops kernels", () => {
  test.each([
    ["the convnet", CONVNET_SPEC],
    ["a model on the other paths", OTHER_PATHS],
  ] as const)("%s: the gradients, loss and hits of the tfjs step", (_, spec) => {
    const layout = sequentialLayout(spec);
    const params = initSequentialParams(layout, 3);
    const capacity = 8;
    const batch = createBatch(capacity, 784, 10, true);
    const order = Int32Array.from({ length: 64 }, (_, i) => i);
    fillBatch(batch, data.train, order, 0, capacity - 1, capacity); // one padded row
    const [ours, reference] = [new Float32Array(layout.size), new Float32Array(layout.size)];
    const step = new SequentialGemmStep(layout, capacity).gradientsInto(params, batch, ours);
    const tfjs = sequentialGradientsInto(layout, params, batch, reference);
    const scale = Math.max(...reference.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
    expect(scale).toBeGreaterThan(1e-3); // not vacuous
    expect(worst).toBeLessThan(1e-5 * scale);
    expect(step.loss).toBeCloseTo(tfjs.loss, 5);
    expect(step.correct).toBe(tfjs.correct);
  });
});
