import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";
import { buildEdge, workerdBinary } from "../../src/adapter/edge/bundle.ts";

export type Runtime = "bun" | "deno" | "workerd";
export const RUNTIMES: readonly Runtime[] = ["bun", "deno", "workerd"];

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
const SERVE = join(ROOT, "src/cli/serve.ts");

/** A real server process on 127.0.0.1, started by a test. */
export interface RealServer {
  readonly runtime: Runtime;
  readonly url: string;
  /** Spawn → first 200 from /health, in milliseconds. */
  readonly coldStartMs: number;
  readonly process: Subprocess;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves to the exit code (null if killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** A port the OS just reported free (bound to port 0 and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<Subprocess>();
// Last resort if a test runner dies before afterAll: never leave servers behind.
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

/** Drains a stream into `chunks` so the child never blocks on a full pipe. */
async function collect(stream: ReadableStream<Uint8Array>, chunks: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) chunks.push(decoder.decode(chunk, { stream: true }));
}

/**
 * Starts `runtime` serving `modelDir` on a free port and waits for `/health` to answer 200.
 * workerd's bundle is built first (not counted in its cold start: deploys ship it prebuilt).
 */
export async function startServer(
  runtime: Runtime,
  modelDir: string,
  timeoutMs = 60_000,
): Promise<RealServer> {
  const port = await freePort();
  let cmd: string[];
  let cleanup = async () => {};
  if (runtime === "bun") {
    cmd = [join(BIN, "bun"), SERVE, "--model", modelDir, "--port", String(port)];
  } else if (runtime === "deno") {
    cmd = [join(BIN, "deno"), "run", "-A", SERVE, "--model", modelDir, "--port", String(port)];
  } else {
    const out = await mkdtemp(join(tmpdir(), "shardfit-worker-"));
    cleanup = () => rm(out, { recursive: true, force: true });
    const config = await buildEdge({ model: modelDir, out, port });
    cmd = [workerdBinary(), "serve", config, "--socket-addr", `http=127.0.0.1:${port}`];
  }
  const chunks: string[] = [];
  const started = performance.now();
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  live.add(proc);
  void collect(proc.stdout as ReadableStream<Uint8Array>, chunks);
  void collect(proc.stderr as ReadableStream<Uint8Array>, chunks);
  const url = `http://127.0.0.1:${port}`;

  const stop = async (graceMs = 5000): Promise<number | null> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await proc.exited;
      clearTimeout(timer);
    }
    live.delete(proc);
    await cleanup();
    return proc.signalCode ? null : proc.exitCode;
  };

  let coldStartMs = -1;
  while (performance.now() - started < timeoutMs) {
    if (proc.exitCode !== null || proc.signalCode !== null) break;
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) {
        coldStartMs = performance.now() - started;
        break;
      }
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(5);
  }
  if (coldStartMs < 0) {
    await stop(1000);
    throw new Error(
      `${runtime} server did not answer /health within ${timeoutMs} ms:\n${chunks.join("")}`,
    );
  }
  return { runtime, url, coldStartMs, process: proc, output: () => chunks.join(""), stop };
}

/** Median and 99th percentile (nearest rank) of `samples`. */
export function percentiles(samples: readonly number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  return { p50: rank(0.5), p99: rank(0.99) };
}
