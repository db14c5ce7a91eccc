// The embedding example of docs/training.md, under Deno: spawn the worker entry (the package's
// `shardfit/worker`, resolved in an installed package by test/package/), drive it with Comlink.
import assert from "node:assert/strict";
import * as Comlink from "comlink";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { samplesFromImages, sliceSet } from "../../src/core/data/dataset.ts";
import { encodeShard } from "../../src/core/data/shard.ts";
import { forward } from "../../src/core/model/forward.ts";
import { initParams } from "../../src/core/model/init.ts";
import { DEFAULT_SPEC } from "../../src/core/model/presets.ts";
import { modelLayout } from "../../src/core/model/sequential.ts";
import type { TrainerWorker } from "../../src/worker/trainer.ts";
import { paramLayout } from "../support/dense-stack.ts";
import { maxErrorRelativeToPeak, referenceGradient } from "../support/reference.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

const relativeError = (actual: number, expected: number) =>
  Math.abs(actual - expected) / Math.abs(expected);

Deno.test("the embeddable worker runs under Deno", async () => {
  const worker = new Worker(new URL("../../workers/trainer.ts", import.meta.url), {
    type: "module",
  });
  const trainer = Comlink.wrap<TrainerWorker>(worker);
  try {
    const data = await loadIdxDataset();
    const shardBytes = encodeShard({
      train: samplesFromImages(sliceSet(data.train, 0, 64)),
      test: samplesFromImages(sliceSet(data.test, 0, 100)),
    });
    assert.equal(await trainer.loadModel(DEFAULT_SPEC), 407050);
    assert.deepEqual(await trainer.loadShard({ bytes: shardBytes }), { train: 64, test: 100 });

    // Gradients and loss against the float64 plain-JS backprop reference.
    const layout = paramLayout(DEFAULT_SPEC);
    const params = initParams(DEFAULT_SPEC, 1);
    const indices = Array.from({ length: 32 }, (_, i) => 2 * i);
    const g = await trainer.gradients(params, indices);
    const n = indices.length;
    assert.equal(g.count, n);
    const x = indices.map((i) =>
      Float64Array.from(data.train.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255),
    );
    const reference = referenceGradient(
      layout,
      params,
      x,
      indices.map((i) => data.train.labels[i]),
    );
    const gradError = maxErrorRelativeToPeak(g.grads, reference.grad);
    assert.ok(gradError <= 1e-5, `gradient error relative to peak ${gradError}`);
    const lossError = relativeError(g.lossSum / n, reference.loss);
    assert.ok(lossError <= 1e-5, `mean loss ${g.lossSum / n} vs ${reference.loss}`);

    // A step against the gradient lowers the loss on the same samples.
    const stepped = params.map((p, i) => p - 0.5 * g.grads[i]);
    const after = await trainer.gradients(stepped, indices);
    assert.ok(after.lossSum < g.lossSum, `loss ${after.lossSum} after a step, ${g.lossSum} before`);

    // Evaluation against the plain-TS forward pass over the same 100 test images.
    const evaluation = await trainer.evaluate(stepped);
    assert.equal(evaluation.count, 100);
    const probabilities = forward(
      { layout: modelLayout(DEFAULT_SPEC), params: stepped },
      Float32Array.from(data.test.images.subarray(0, 100 * 784), (v) => v / 255),
      100,
    );
    let correct = 0;
    let lossSum = 0;
    for (let i = 0; i < 100; i++) {
      const row = probabilities.subarray(i * 10, (i + 1) * 10);
      if (row.indexOf(Math.max(...row)) === data.test.labels[i]) correct++;
      lossSum -= Math.log(row[data.test.labels[i]]);
    }
    assert.equal(evaluation.correct, correct);
    const evalError = relativeError(evaluation.lossSum, lossSum);
    assert.ok(evalError <= 1e-4, `test loss sum ${evaluation.lossSum} vs ${lossSum}`);
    assert.equal(await trainer.tensorCount(), 0);
  } finally {
    trainer[Comlink.releaseProxy]();
    worker.terminate();
  }
});
