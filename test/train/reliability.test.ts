import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { train } from "../../src/train/train.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "../../src/train/types.ts";
import { mnistArraysFor } from "../support/mnist-arrays.ts";
import { maxAbsDiff } from "../support/reference.ts";

let dataset: Dataset;
let dir: string;
let undisturbed: TrainResult;
// 1500 samples, batch 128: 12 steps an epoch; global step 17 is in the middle of epoch 2.
const small = (): TrainOptions => ({
  dataset,
  workers: 2,
  epochs: 3,
  trainLimit: 1500,
  testLimit: 500,
  out: false,
});

beforeAll(async () => {
  dataset = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-reliability-"));
  undisturbed = await train(small());
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("worker failures", () => {
  test.each(["throw", "exit", "hang"] as const)(
    "a worker that fails by %p is replaced and the step redone",
    async (kind) => {
      const events: TrainEvent[] = [];
      const result = await trainWithHooks(
        { ...small(), stepTimeoutMs: 3000, onProgress: (e) => events.push(e) },
        { faults: [{ worker: 1, atStep: 17, kind }] },
      );
      const recovered = events.filter((e) => e.type === "recovered");
      expect(recovered).toHaveLength(1);
      expect(recovered[0]).toMatchObject({ epoch: 1, step: 5, workers: [1] });
      expect(maxAbsDiff(result.params, undisturbed.params)).toBeLessThanOrEqual(1e-5);
      expect(result.history.map((h) => h.testAccuracy)).toEqual(
        undisturbed.history.map((h) => h.testAccuracy),
      );
    },
  );

  test("repeated failures stop the run with a clear error and keep the checkpoint", async () => {
    const checkpointDir = join(dir, "failing");
    const run = trainWithHooks(
      { ...small(), checkpointDir },
      { faults: [{ worker: 0, atStep: 17, kind: "throw", repeat: true }] },
    );
    await expect(run).rejects.toThrow(
      /training stopped: 3 worker failures in a row at epoch 2, step 6 .*injected fault: worker threw.*checkpoint after epoch 1/,
    );
    const saved = JSON.parse(await readFile(join(checkpointDir, "checkpoint.json"), "utf8"));
    expect(saved.epoch).toBe(1);
  });
});

describe("other losses, on arrays", () => {
  for (const loss of ["mse", "binary_crossentropy"]) {
    test(`${loss}: a worker that exits is replaced, and a resumed run ends where an undisturbed one does`, async () => {
      const arrays = (): TrainOptions => ({
        ...small(),
        dataset: undefined,
        data: mnistArraysFor(dataset, loss, 1500, 500),
        loss,
        hidden: [32],
      });
      const whole = await train(arrays());
      const crashed = await trainWithHooks(
        { ...arrays(), stepTimeoutMs: 3000 },
        { faults: [{ worker: 1, atStep: 17, kind: "exit" }] },
      );
      expect(maxAbsDiff(crashed.params, whole.params)).toBeLessThanOrEqual(1e-5);
      const checkpointDir = join(dir, `resume-${loss}`);
      await train({ ...arrays(), epochs: 2, checkpointDir });
      const resumed = await train({ ...arrays(), checkpointDir, resume: true });
      expect(resumed.history).toHaveLength(3);
      expect(maxAbsDiff(resumed.params, whole.params)).toBeLessThanOrEqual(1e-5);
      expect(resumed.history[2].testLoss).toBe(whole.history[2].testLoss);
      expect(resumed.kerasHistory).toEqual(whole.kerasHistory);
    });
  }
});

describe("checkpoints", () => {
  test("a run interrupted after epoch 2 and resumed ends with the uninterrupted weights", async () => {
    const checkpointDir = join(dir, "resume");
    const first = await train({ ...small(), epochs: 2, checkpointDir });
    expect(first.history).toHaveLength(2);
    const events: TrainEvent[] = [];
    const resumed = await train({
      ...small(),
      checkpointDir,
      resume: true,
      onProgress: (e) => events.push(e),
    });
    expect(events.filter((e) => e.type === "epoch")).toHaveLength(1);
    expect(resumed.history).toHaveLength(3);
    expect(maxAbsDiff(resumed.params, undisturbed.params)).toBeLessThanOrEqual(1e-5);
    expect(resumed.history[2].testAccuracy).toBe(undisturbed.history[2].testAccuracy);
  });

  test("a mismatched, truncated or corrupt checkpoint is a clear error", async () => {
    const checkpointDir = join(dir, "bad");
    await train({ ...small(), epochs: 1, checkpointDir });
    await expect(train({ ...small(), hidden: [64], checkpointDir, resume: true })).rejects.toThrow(
      /checkpoint.json: the checkpoint is of a 784→512→10 model, this run trains 784→64→10/,
    );
    await expect(train({ ...small(), batchSize: 64, checkpointDir, resume: true })).rejects.toThrow(
      /checkpoint.json: batchSize is 128 in the checkpoint, 64 in this run/,
    );
    const state = await readFile(join(checkpointDir, "state.bin"));
    await writeFile(join(checkpointDir, "state.bin"), state.subarray(0, 1000));
    await expect(train({ ...small(), checkpointDir, resume: true })).rejects.toThrow(
      /state.bin: expected 3256400 bytes .* got 1000/,
    );
    state[12345] ^= 0xff;
    await writeFile(join(checkpointDir, "state.bin"), state);
    await expect(train({ ...small(), checkpointDir, resume: true })).rejects.toThrow(
      /state.bin: checksum does not match/,
    );
    await writeFile(join(checkpointDir, "checkpoint.json"), "{ not json");
    await expect(train({ ...small(), checkpointDir, resume: true })).rejects.toThrow(
      /checkpoint.json: not valid JSON/,
    );
  });
});

describe("Ctrl-C", () => {
  test("SIGINT stops the workers, keeps the checkpoint, says how to resume, and exits", async () => {
    const out = join(dir, "sigint-model");
    const proc = Bun.spawn(
      [process.execPath, "src/cli/train.ts", "--epochs", "100", "--hidden", "32", "--out", out],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const killer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
    const reader = proc.stdout.getReader();
    let stdout = "";
    while (!/epoch 1: /.test(stdout)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += new TextDecoder().decode(value);
    }
    proc.kill("SIGINT");
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    clearTimeout(killer);
    expect(code).toBe(130);
    expect(stderr).toMatch(
      /interrupted: the checkpoint after epoch \d+ is kept; continue with: bun run train -- .*--resume/,
    );
    const saved = JSON.parse(await readFile(join(`${out}.checkpoint`, "checkpoint.json"), "utf8"));
    expect(saved.epoch).toBeGreaterThanOrEqual(1);
  });
});
