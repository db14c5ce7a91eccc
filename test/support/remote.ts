import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";
import type { TestHooks } from "../../src/train/testing.ts";

export { sameGlobalBatches, smallRun } from "./global-batches.ts";

import { trainWithHooks } from "../../src/train/testing.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "../../src/train/types.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
const WORKER = join(ROOT, "src/cli/worker.ts");

export const TOKEN = "test-token-0123456789abcdef";

/** A worker process (Bun or Deno) started the way a user starts one. */
export interface WorkerProcess {
  readonly process: Subprocess;
  output(): string;
}

export function spawnWorker(
  runtime: "bun" | "deno",
  args: string[],
  env: Record<string, string> = {},
): WorkerProcess {
  const cmd =
    runtime === "bun"
      ? [join(BIN, "bun"), WORKER, ...args]
      : [join(BIN, "deno"), "run", "-A", WORKER, ...args];
  const proc = Bun.spawn(cmd, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const decoder = new TextDecoder();
  for (const stream of [proc.stdout, proc.stderr]) {
    (async () => {
      for await (const chunk of stream) text += decoder.decode(chunk);
    })();
  }
  return { process: proc, output: () => text };
}

/**
 * A networked run in this process (the coordinator) with the test's hooks; `onListening`
 * gets the join URL and starts the workers.
 */
export function coordinate(
  options: TrainOptions,
  hooks: TestHooks,
  onListening: (joinUrl: string) => void,
  onEvent: (event: TrainEvent) => void = () => {},
): Promise<TrainResult> {
  return trainWithHooks(
    {
      ...options,
      onProgress: (event) => {
        if (event.type === "listening") onListening(event.joinUrl);
        onEvent(event);
      },
    },
    hooks,
  );
}
