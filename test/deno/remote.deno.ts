// Run by `deno test -A test/deno/`: a coordinator under Deno (hono's Deno WebSocket helper)
// with a Bun and a Deno worker process equals 2 local threads on the same batches.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { sameGlobalBatches, smallRun } from "../support/global-batches.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TOKEN = "deno-test-token-0123456789";
const hooks = sameGlobalBatches();

Deno.test("a Deno coordinator: Bun + Deno worker processes equal 2 local threads", async () => {
  const dataset = await loadIdxDataset();
  const options = smallRun(dataset);
  const local = await trainWithHooks({ ...options, workers: 2 }, hooks);
  const children: ReturnType<typeof spawn>[] = [];
  const remote = await trainWithHooks(
    {
      ...options,
      remote: { expectWorkers: 2, token: TOKEN },
      onProgress: (event) => {
        if (event.type !== "listening") return;
        const args = ["--join", event.joinUrl, "--token", TOKEN];
        const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
        children.push(
          spawn(bin("bun"), ["src/cli/worker.ts", ...args, "--rank", "0"], { cwd: ROOT }),
        );
        children.push(
          spawn(bin("deno"), ["run", "-A", "src/cli/worker.ts", ...args, "--rank", "1"], {
            cwd: ROOT,
          }),
        );
      },
    },
    hooks,
  );
  await Promise.all(children.map((c) => new Promise((resolve) => c.once("exit", resolve))));
  let maxDiff = 0;
  for (let i = 0; i < local.params.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(local.params[i] - remote.params[i]));
  }
  assert.ok(maxDiff <= 1e-5, `weights differ by ${maxDiff}`);
  assert.equal(remote.history[1].testAccuracy, local.history[1].testAccuracy);
  assert.equal(remote.network?.participants.length, 2);
});
