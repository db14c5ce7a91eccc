import { afterAll, expect, test } from "bun:test";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

let dir: string | undefined;
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

// The project's promise, end to end: `npm run train -- --json` with every default
// (5 epochs, batch 128, seed 1, Dense 512) on real MNIST with 2 workers reaches Keras's accuracy.
test("the default training run reaches ≥ 97.7% test accuracy", async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-full-"));
  const out = join(dir, "mnist");
  const proc = Bun.spawn(
    [process.execPath, "src/cli/train.ts", "--json", "--workers", "2", "--out", out],
    { stdout: "pipe", stderr: "inherit" },
  );
  const [code, stdout] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  expect(code).toBe(0);
  const summary = JSON.parse(stdout.trim());
  console.log(`full run: ${stdout.trim()}`);
  expect(summary).toMatchObject({ epochs: 5, workers: 2, batchSize: 128 });
  expect(summary.testAccuracy).toBeGreaterThanOrEqual(0.977);
  expect((await readdir(out)).sort()).toEqual(["model.json", "weights.bin"]);
});
