/**
 * `bun run serve:edge -- [--model DIR] [--port N] [--host ADDR]`: builds dist/edge/ and
 * runs it on the real workerd (the npm package's binary) — the local stand-in for Cloudflare.
 */
import { spawn } from "node:child_process";
import { buildEdge, workerdBinary } from "../adapter/edge/bundle.ts";
import { EDGE_SERVE_FLAGS, intFlag, parseFlags, runCli } from "./args.ts";

const USAGE = `Usage: serve-edge [--model DIR] [--port N] [--host ADDR] [--out DIR]

  --model DIR   model directory holding model.json + weights.bin (default models/mnist)
  --port N      TCP port (default 8787)
  --host ADDR   address to listen on (default 127.0.0.1)
  --out DIR     where the edge bundle is written (default dist/edge)
  -h, --help    show this help`;

await runCli("serve-edge", USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), EDGE_SERVE_FLAGS);
  if (flags.help) return console.log(USAGE);
  const port = intFlag("port", flags.port, 1, 65535);
  const config = await buildEdge({ model: flags.model, out: flags.out, port });
  const address = `${flags.host.includes(":") ? `[${flags.host}]` : flags.host}:${port}`;
  const child = spawn(workerdBinary(), ["serve", config, "--socket-addr", `http=${address}`], {
    stdio: "inherit",
  });
  console.log(`shardfit: serving on http://${address} (workerd)`);
  // Pass Ctrl-C / kill on to workerd so it never outlives this process.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => child.kill(signal));
  }
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
});
