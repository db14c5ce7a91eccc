/**
 * `bun run bench:load [-- --model DIR --clients 20 --seconds 10 --url URL]`: a bounded load
 * test of GET /predict. Starts the Bun server (src/cli/serve.ts) as its own process on a free
 * loopback port — so the load generator does not share its event loop — unless --url points at
 * a running server. Each client sends its next request as soon as the previous one answers,
 * cycling through real MNIST test images. Prints requests/s, p50/p99 latency and errors, and
 * writes them to bench/results/load.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadIdxDataset } from "../src/adapter/fs/mnist.ts";
import { flagsOrExit, intFlag, parseFlags } from "../src/cli/args.ts";

const USAGE = `Usage: bun bench/load.ts [--model DIR] [--clients N] [--seconds S] [--url URL]

  --model DIR    model the spawned Bun server serves (default models/mnist)
  --clients N    concurrent clients (default 20)
  --seconds S    duration (default 10)
  --url URL      load an already running server instead of spawning one`;

const values = flagsOrExit("bench:load", USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), {
    model: { type: "string", default: "models/mnist" },
    clients: { type: "string", default: "20" },
    seconds: { type: "string", default: "10" },
    url: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    model: flags.model,
    url: flags.url,
    clients: intFlag("clients", flags.clients, 1, 1000),
    seconds: intFlag("seconds", flags.seconds, 1, 600),
  };
});
const { clients, seconds } = values;

const root = join(import.meta.dir, "..");
let server: ReturnType<typeof Bun.spawn> | undefined;
let base = values.url;
if (!base) {
  server = Bun.spawn(
    [process.execPath, "src/cli/serve.ts", "--model", values.model, "--port", "0"],
    { cwd: root, stdout: "pipe", stderr: "inherit" },
  );
  // serve.ts prints "shardfit: serving … on http://127.0.0.1:PORT (…)" once it listens.
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!/on (http:\/\/\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) {
      console.error(`bench:load: the server exited before listening:\n${text}`);
      process.exit(1);
    }
    text += new TextDecoder().decode(value);
  }
  base = (text.match(/on (http:\/\/\S+)/) as RegExpMatchArray)[1];
  reader.releaseLock();
}
const stopServer = () => server?.kill("SIGTERM");
process.once("SIGINT", () => {
  stopServer();
  process.exit(130);
});

try {
  const { test } = await loadIdxDataset();
  const px = test.rows * test.cols;
  const urls = Array.from(
    { length: 1000 },
    (_, i) =>
      `${base}/predict?pixels=${Buffer.from(test.images.subarray(i * px, (i + 1) * px)).toString("base64url")}`,
  );

  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const url = urls[next++ % urls.length];
      const t0 = performance.now();
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status === 200) latencies.push(performance.now() - t0);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - started) / 1000;

  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? NaN;
  const result = {
    target: `${base}/predict (GET, ${server ? "Bun server" : "external server"})`,
    clients,
    seconds: Number(elapsed.toFixed(2)),
    requests: latencies.length + errors,
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p50ms: Number(pct(0.5).toFixed(2)),
    p99ms: Number(pct(0.99).toFixed(2)),
    errors,
    date: new Date().toISOString(),
  };
  console.table([result]);
  await mkdir(join(root, "bench/results"), { recursive: true });
  await writeFile(join(root, "bench/results/load.json"), `${JSON.stringify(result, null, 2)}\n`);
  if (errors > 0) process.exitCode = 1;
} finally {
  stopServer();
}
