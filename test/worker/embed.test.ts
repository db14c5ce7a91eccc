import { afterAll, expect, test } from "bun:test";
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
import { referenceLoss } from "../support/reference.ts";

// What docs/training.md shows another program doing: spawn the worker entry (the package's
// `shardfit/worker`, which test/package/ resolves in an installed package) and drive it with
// Comlink.
const worker = new Worker(new URL("../../workers/trainer.ts", import.meta.url), { type: "module" });
const trainer = Comlink.wrap<TrainerWorker>(worker);
afterAll(() => {
  trainer[Comlink.releaseProxy]();
  worker.terminate();
});

test("the embeddable worker loads a spec and a shard, computes gradients and evaluates", async () => {
  const data = await loadIdxDataset();
  const shard = encodeShard({
    train: samplesFromImages(sliceSet(data.train, 0, 256)),
    test: samplesFromImages(sliceSet(data.test, 0, 500)),
  });
  expect(await trainer.loadModel(DEFAULT_SPEC)).toBe(407050);
  expect(await trainer.loadShard({ bytes: shard })).toEqual({ train: 256, test: 500 });

  const layout = paramLayout(DEFAULT_SPEC);
  const params = initParams(DEFAULT_SPEC, 5);
  const indices = Array.from({ length: 32 }, (_, i) => i * 7);
  const g = await trainer.gradients(params, indices);
  expect(g.count).toBe(32);
  expect(g.grads.length).toBe(layout.size);
  const x = indices.map((i) =>
    Array.from(data.train.images.subarray(i * 784, (i + 1) * 784), (v) => v / 255),
  );
  const labels = indices.map((i) => data.train.labels[i]);
  const expected = referenceLoss(
    layout,
    params,
    x,
    labels,
    indices.map(() => 1),
  );
  expect(Math.abs(g.lossSum - expected) / expected).toBeLessThan(1e-5);

  // A small step against the gradient lowers the loss on the same samples.
  const stepped = params.map((p, i) => p - 0.05 * g.grads[i]);
  const after = await trainer.gradients(stepped, indices);
  expect(after.lossSum).toBeLessThan(g.lossSum);

  // Evaluation against the plain-TS forward pass over the same 500 test images.
  const evaluation = await trainer.evaluate(stepped);
  expect(evaluation.count).toBe(500);
  const probabilities = forward(
    { layout: modelLayout(DEFAULT_SPEC), params: stepped },
    Float32Array.from(data.test.images.subarray(0, 500 * 784), (v) => v / 255),
    500,
  );
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < 500; i++) {
    const row = probabilities.subarray(i * 10, (i + 1) * 10);
    if (row.indexOf(Math.max(...row)) === data.test.labels[i]) correct++;
    lossSum -= Math.log(row[data.test.labels[i]]);
  }
  expect(evaluation.correct).toBe(correct);
  expect(Math.abs(evaluation.lossSum - lossSum) / lossSum).toBeLessThan(1e-4);
  expect(await trainer.tensorCount()).toBe(0);
});

test("bad input to the worker is a clear error", async () => {
  await expect(trainer.loadShard({ bytes: new Uint8Array(10) })).rejects.toThrow(
    /shard bytes: truncated/,
  );
  await expect(trainer.gradients(new Float32Array(407050), [100000])).rejects.toThrow(
    /sample index 100000 outside this shard's 0..255/,
  );
});
