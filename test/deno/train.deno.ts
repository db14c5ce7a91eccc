// Run by `deno test -A test/deno/` (npm test runs it): the same trainer, under Deno.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { train } from "../../src/train/train.ts";
import { BATCH, SAMPLES, sameGlobalBatches } from "../support/global-batches.ts";
import { mnistArraysFor } from "../support/mnist-arrays.ts";
import { maxAbsDiff } from "../support/reference.ts";

// The type checker runs with bun-types; Deno's own test API is all this file needs.
declare const Deno: { test(name: string, fn: () => Promise<void>): void };

Deno.test("a short training run under Deno: 2 workers, saved model", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shardfit-deno-"));
  try {
    const result = await train({
      workers: 2,
      epochs: 2,
      trainLimit: 12000,
      out: join(dir, "model"),
    });
    assert.equal(result.history.length, 2);
    assert.ok(
      result.history[1].testAccuracy >= 0.93,
      `test accuracy ${result.history[1].testAccuracy} < 0.93`,
    );
    assert.deepEqual((await readdir(join(dir, "model"))).sort(), ["model.json", "weights.bin"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("every loss trains on arrays under Deno as under Bun: N workers = 1 worker", async () => {
  const dataset = await loadIdxDataset();
  for (const loss of ["binary_crossentropy", "mse"]) {
    const run = (workers: number) =>
      trainWithHooks(
        {
          data: mnistArraysFor(dataset, loss, SAMPLES, 300),
          loss,
          hidden: [32],
          epochs: 2,
          batchSize: BATCH,
          workers,
          out: false,
        },
        sameGlobalBatches(),
      );
    const [one, two] = [await run(1), await run(2)];
    assert.ok(maxAbsDiff(two.params, one.params) <= 1e-5, `${loss}: N workers differ from 1`);
    assert.deepEqual(Object.keys(one.kerasHistory), ["loss", loss === "mse" ? "mae" : "accuracy"]);
  }
});
