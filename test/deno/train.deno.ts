// Run by `deno test -A test/deno/` (npm test runs it): the same trainer, under Deno.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { train } from "../../src/train/train.ts";

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
