/**
 * A run whose loss stops being finite stops (Keras's TerminateOnNaN): "diverged at epoch E,
 * step S (loss NaN): lower --lr", exit 1, the last checkpoint kept, no model with non-finite
 * weights saved — with local threads and networked alike.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { faultRelay } from "../support/fault-relay.ts";
import { finished } from "../support/process.ts";
import { sameGlobalBatches, smallRun, spawnWorker, TOKEN } from "../support/remote.ts";
import { writeSmallMnist } from "../support/small-mnist.ts";

let dir: string;
let data: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shardfit-diverge-"));
  data = join(dir, "data");
  await mkdir(data);
  await writeSmallMnist(data, 1000, 200);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const DIVERGED = /^train: diverged at epoch 1, step \d+ \(loss NaN\): lower --lr\.$/m;

function trainCli(...args: string[]) {
  return Bun.spawn([process.execPath, "src/cli/train.ts", "--data", data, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

describe("--lr 1e30", () => {
  test("local threads: exit 1, diverged, no model saved", async () => {
    const out = join(dir, "local-model");
    const run = await finished(trainCli("--lr", "1e30", "--epochs", "1", "--out", out));
    expect(run.stderr).toMatch(DIVERGED);
    expect(run.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  test("networked: exit 1, diverged, no model saved", async () => {
    const out = join(dir, "remote-model");
    const proc = trainCli(
      ...["--lr", "1e30", "--epochs", "1", "--out", out],
      ...["--expect-workers", "1", "--token", TOKEN],
    );
    // The join command is printed once the coordinator listens.
    const stderr = new Response(proc.stderr).text();
    const decoder = new TextDecoder();
    let stdout = "";
    let worker: ReturnType<typeof spawnWorker> | undefined;
    try {
      for await (const chunk of proc.stdout) {
        stdout += decoder.decode(chunk);
        const joinUrl = /--join (\S+)/.exec(stdout)?.[1];
        if (joinUrl && !worker) worker = spawnWorker("bun", ["--join", joinUrl, "--token", TOKEN]);
      }
      expect(await stderr).toMatch(DIVERGED);
      expect(await proc.exited).toBe(1);
      expect(worker).toBeDefined();
      expect(existsSync(out)).toBe(false);
    } finally {
      worker?.process.kill("SIGKILL");
      proc.kill("SIGKILL");
    }
  }, 120_000);
});

test("every participant's gradient non-finite in epoch 2: diverged there, epoch 1's checkpoint kept", async () => {
  const dataset = await loadIdxDataset();
  const checkpointDir = join(dir, "checkpoint");
  const out = join(dir, "never-saved");
  let worker: ReturnType<typeof spawnWorker> | undefined;
  try {
    const run = trainWithHooks(
      {
        ...smallRun(dataset),
        ...{ checkpointDir, out },
        remote: { expectWorkers: 1, token: TOKEN },
        onProgress: (event) => {
          if (event.type !== "listening") return;
          // 8 steps an epoch: the 10th gradient is epoch 2's step 2.
          const relay = faultRelay(event.joinUrl, { at: "gradient", action: "nan", nth: 10 });
          worker = spawnWorker("bun", ["--join", relay.joinUrl, "--token", TOKEN]);
        },
      },
      sameGlobalBatches(),
    );
    await expect(run).rejects.toThrow(
      `diverged at epoch 2, step 2 (non-finite gradient): lower --lr. The checkpoint after epoch 1 is in ${checkpointDir}/.`,
    );
    const saved = JSON.parse(await readFile(join(checkpointDir, "checkpoint.json"), "utf8"));
    expect(saved.epoch).toBe(1);
    expect(existsSync(out)).toBe(false);
  } finally {
    worker?.process.kill("SIGKILL");
  }
}, 120_000);
