/**
 * Connections that never become workers cost the coordinator bounded memory and log lines:
 * oversized hellos are refused before they are parsed, refusals are summarised, sockets
 * without a hello are capped, an address sending wrong tokens must wait, and nothing a peer
 * sends reaches the terminal or the dashboard's history with control characters in it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { PROTOCOL_VERSION, SHARDFIT_VERSION } from "../../src/collective/wire.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import type { RunDashboard } from "../../src/train/dashboard.ts";
import { MAX_PENDING } from "../../src/train/remote/admission.ts";
import type { TrainEvent } from "../../src/train/types.ts";
import {
  coordinate,
  sameGlobalBatches,
  smallRun,
  spawnWorker,
  TOKEN,
  type WorkerProcess,
} from "../support/remote.ts";
import { writeSmallMnist } from "../support/small-mnist.ts";

let dataset: Dataset;
let dir: string;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  dataset = await loadIdxDataset();
  dir = await mkdtemp(join(tmpdir(), "shardfit-hostile-"));
});
afterEach(() => {
  for (const w of workers.splice(0)) w.process.kill("SIGKILL");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const hello = (fields: Record<string, unknown>) =>
  JSON.stringify({
    ...{ type: "hello", protocol: PROTOCOL_VERSION, version: SHARDFIT_VERSION, token: TOKEN },
    ...{ threads: 1, runtime: "probe", ...fields },
  });

/** Opens a socket, sends `text` once open, resolves with the close's code and reason. */
function attempt(url: string, text?: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onopen = () => text !== undefined && ws.send(text);
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
  });
}

/** `count` attempts, `parallel` at a time. */
async function flood(url: string, count: number, parallel: number, text: string) {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < count) await attempt(url, text);
    }),
  );
}

/**
 * The worker CLI, started again while the coordinator says to try again later (as a
 * Kubernetes Job restarts its pod); returns how often it was told to wait.
 */
async function joinUntilAccepted(url: string): Promise<number> {
  for (let refused = 0; refused < 100; refused++) {
    const worker = spawnWorker("bun", ["--join", url, "--token", TOKEN]);
    workers.push(worker);
    const exited = await Promise.race([worker.process.exited, Bun.sleep(3000).then(() => -1)]);
    // Still connected (it trains), or already done: it was accepted.
    if (exited === -1 || exited === 0) return refused;
    const wait = /try again in (\d+) s/.exec(worker.output());
    if (!wait) throw new Error(`the worker was refused: ${worker.output()}`);
    await Bun.sleep(1000 * Number(wait[1]));
  }
  throw new Error("the worker was never accepted");
}

const CONTROL = /\p{Cc}/u;

describe("hostile connections", () => {
  test("10,050 wrong tokens, silent sockets and escape sequences: the run's events survive, a worker joins after the back-off", async () => {
    const events: TrainEvent[] = [];
    let dashboard: RunDashboard | undefined;
    const seen: Record<string, { code: number; reason: string }[]> = {};
    let probes: Promise<void> | undefined;
    const result = await coordinate(
      {
        ...smallRun(dataset),
        epochs: 1,
        remote: { expectWorkers: 1, token: TOKEN },
        dashboard: true,
      },
      {
        ...sameGlobalBatches(),
        remoteTimeouts: { helloMs: 1000 },
        onDashboard: (_app, d) => {
          dashboard = d;
        },
      },
      (url) => {
        probes = probe(url);
      },
      (event) => events.push(event),
    );
    await probes;
    async function probe(url: string) {
      // More silent sockets than the cap: the extra ones are refused at once.
      seen.silent = await Promise.all(Array.from({ length: MAX_PENDING + 6 }, () => attempt(url)));
      seen.escape = [
        await attempt(url, hello({ version: "\u001b]0;owned\u0007\u001b[2J", runtime: "x" })),
      ];
      await flood(url, 10_050, 50, hello({ token: "not-the-token" }));
      seen.waits = [{ code: await joinUntilAccepted(url), reason: "" }];
    }
    expect(result.history).toHaveLength(1);
    // The flood's address had to wait before its next token was even read.
    expect(seen.waits[0].code).toBeGreaterThan(0);
    const silent = seen.silent.map((s) => s.reason);
    expect(silent.filter((r) => r.startsWith("too many connections waiting"))).toHaveLength(6);
    expect(silent.filter((r) => r === "no hello within the handshake timeout")).toHaveLength(
      MAX_PENDING,
    );
    expect(seen.escape[0].reason).toContain(
      "version mismatch: the worker runs shardfit ?]0;owned??[2J",
    );
    // Refusals are a few summary lines, free of control characters, not one line each.
    const lines = events.flatMap((e) => (e.type === "participant" ? [e.message] : []));
    expect(lines.length).toBeLessThan(12);
    for (const line of lines) {
      expect(line).not.toMatch(CONTROL);
      expect(line.length).toBeLessThan(1000);
    }
    expect(lines.join("\n")).toMatch(/refused \d+ more connection attempts \(.*wrong run token/);
    console.log(`${lines.length} log lines for the refusals:\n${lines.join("\n")}`);
    // The dashboard's history still holds the run's own events.
    const kinds = new Set(dashboard?.log.history().map((e) => e.event.type));
    for (const kind of ["start", "settings", "epoch", "end"]) {
      expect(kinds.has(kind as TrainEvent["type"])).toBe(true);
    }
  }, 180_000);

  test("1,000 hellos of ~4 MB each leave the coordinator's memory within 20 MB", async () => {
    const data = join(dir, "data");
    await mkdir(data);
    await writeSmallMnist(data, 1000, 200);
    const proc = Bun.spawn(
      [
        process.execPath,
        "src/cli/train.ts",
        "--data",
        data,
        "--epochs",
        "1",
        "--out",
        join(dir, "m"),
      ].concat(["--expect-workers", "1", "--token", TOKEN]),
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      const stderr = new Response(proc.stderr).text();
      let stdout = "";
      let url: string | undefined;
      const decoder = new TextDecoder();
      const reader = proc.stdout.getReader();
      while (!url) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the coordinator exited: ${stdout}`);
        stdout += decoder.decode(value);
        url = /--join (\S+)/.exec(stdout)?.[1];
      }
      const rss = () => {
        const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
      };
      // A first round warms the allocator and the socket machinery up.
      // As in the report this guards against: a 4 MB version string, no valid token.
      const big = hello({ token: "wrong", version: "9".repeat(4_000_000) });
      await flood(url, 50, 4, big);
      await Bun.sleep(500);
      const before = rss();
      await flood(url, 1000, 4, big);
      await Bun.sleep(1000);
      const after = rss();
      console.log(
        `coordinator RSS: ${(before / 2 ** 20).toFixed(1)} MB → ${(after / 2 ** 20).toFixed(1)} MB after 1,000 hellos of ${(big.length / 2 ** 20).toFixed(2)} MB`,
      );
      expect(after - before).toBeLessThan(20 * 2 ** 20);
      proc.kill("SIGTERM");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += decoder.decode(value);
      }
      // What reached the terminal: a few summary lines, none holding the hellos' text.
      const text = stdout + (await stderr);
      expect(text.length).toBeLessThan(4000);
    } finally {
      proc.kill("SIGKILL");
    }
  }, 180_000);
});
