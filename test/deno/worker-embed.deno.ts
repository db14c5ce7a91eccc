// The README's embedding example, under Deno: resolve `shardfit/worker`, spawn, drive with Comlink.
import assert from "node:assert/strict";
import * as Comlink from "comlink";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { sliceSet } from "../../src/core/dataset.ts";
import { initParams } from "../../src/core/init.ts";
import { encodeShard } from "../../src/core/shard.ts";
import { DEFAULT_SPEC } from "../../src/core/spec.ts";
import type { TrainerWorker } from "../../src/worker/trainer.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

Deno.test("the embeddable worker runs under Deno through the shardfit/worker export", async () => {
  const worker = new Worker(import.meta.resolve("shardfit/worker"), { type: "module" });
  const trainer = Comlink.wrap<TrainerWorker>(worker);
  try {
    const data = await loadIdxDataset();
    const shardBytes = encodeShard({
      train: sliceSet(data.train, 0, 64),
      test: sliceSet(data.test, 0, 100),
    });
    assert.equal(await trainer.loadModel(DEFAULT_SPEC), 407050);
    assert.deepEqual(await trainer.loadShard({ bytes: shardBytes }), { train: 64, test: 100 });
    const params = initParams(DEFAULT_SPEC, 1);
    const g = await trainer.gradients(params, [0, 1, 2]);
    assert.equal(g.grads.length, 407050);
    assert.ok(
      g.lossSum / 3 > 1.5 && g.lossSum / 3 < 3.5,
      `untrained mean loss ${g.lossSum / 3} should be near ln 10`,
    );
    const evaluation = await trainer.evaluate(params);
    assert.equal(evaluation.count, 100);
  } finally {
    trainer[Comlink.releaseProxy]();
    worker.terminate();
  }
});
