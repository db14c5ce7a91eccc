// Run by `deno test -A test/deno/` (npm test runs it): a convnet trains under Deno too.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import { conv2d, dense, flatten, maxPooling2d } from "../../src/core/model/sequential.ts";
import { train } from "../../src/train/train.ts";

// The type checker runs with bun-types; Deno's own test API is all this file needs.
declare const Deno: { test(name: string, fn: () => Promise<void>): void };

const SMALL_CONVNET = {
  inputShape: [28, 28, 1],
  layers: [
    conv2d(4, 3, { activation: "relu" as const }),
    maxPooling2d(2),
    flatten(),
    dense(10, { activation: "softmax" as const }),
  ],
};

Deno.test("a convnet under Deno: 1 + 1 resumed epochs equal 2 uninterrupted ones; the saved model loads", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shardfit-deno-convnet-"));
  const options = {
    model: SMALL_CONVNET,
    workers: 2,
    trainLimit: 2000,
    testLimit: 500,
    out: join(dir, "model"),
    checkpointDir: join(dir, "checkpoint"),
  };
  try {
    await train({ ...options, epochs: 1 });
    const resumed = await train({ ...options, epochs: 2, resume: true });
    const whole = await train({ ...options, epochs: 2, out: false, checkpointDir: false });
    assert.deepEqual(resumed.params, whole.params);
    assert.equal(resumed.batchSize, 64);
    assert.ok(
      resumed.history[1].testAccuracy >= 0.6,
      `test accuracy ${resumed.history[1].testAccuracy} < 0.6`,
    );
    assert.deepEqual((await readdir(join(dir, "model"))).sort(), ["model.json", "weights.bin"]);
    const loaded = await loadModelDir(join(dir, "model"));
    assert.deepEqual(loaded.params, resumed.params);
    const json = JSON.parse(await readFile(join(dir, "model", "model.json"), "utf8"));
    assert.equal(json.modelTopology.config.layers[0].class_name, "Conv2D");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
