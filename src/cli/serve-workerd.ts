/**
 * `bun run serve:workerd -- [--model DIR] [--port N] [--host ADDR]`: builds dist/worker/ and
 * runs it on the real workerd (the npm package's binary) — the local stand-in for Cloudflare.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { buildWorker } from "./build-worker.ts";

const USAGE = `Usage: serve-workerd [--model DIR] [--port N] [--host ADDR] [--out DIR]

  --model DIR   model directory holding model.json + weights.bin (default models/mnist)
  --port N      TCP port (default 8787)
  --host ADDR   address to listen on (default 127.0.0.1)
  --out DIR     where the worker bundle is written (default dist/worker)
  -h, --help    show this help`;

/** Path of the workerd binary the `workerd` npm package installed for this platform. */
export function workerdBinary(): string {
  const require = createRequire(import.meta.url);
  return (require("workerd") as { default: string }).default;
}

if (import.meta.main) {
  let values: { model: string; port: string; host: string; out: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        model: { type: "string", default: "models/mnist" },
        port: { type: "string", default: "8787" },
        host: { type: "string", default: "127.0.0.1" },
        out: { type: "string", default: "dist/worker" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`serve-workerd: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
    console.error(`serve-workerd: --port: expected an integer in 1..65535, got "${values.port}"`);
    process.exit(2);
  }
  let config: string;
  try {
    config = await buildWorker({ model: values.model, out: values.out, port });
  } catch (error) {
    console.error(`serve-workerd: ${(error as Error).message}`);
    process.exit(1);
  }
  const address = `${values.host.includes(":") ? `[${values.host}]` : values.host}:${port}`;
  const child = spawn(workerdBinary(), ["serve", config, "--socket-addr", `http=${address}`], {
    stdio: "inherit",
  });
  console.log(`shardfit: serving on http://${address} (workerd)`);
  // Pass Ctrl-C / kill on to workerd so it never outlives this process.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => child.kill(signal));
  }
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
