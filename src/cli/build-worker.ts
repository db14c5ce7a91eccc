/** `npm run build:worker -- --model DIR [--out DIR] [--port N]`: writes the workerd bundle. */
import { resolve } from "node:path";
import { buildWorker } from "../adapter/worker-bundle.ts";
import { intFlag, parseFlags, runCli, WORKERD_FLAGS } from "./args.ts";

const USAGE = `Usage: build-worker [--model DIR] [--out DIR] [--port N]

  --model DIR   model directory holding model.json + weights.bin (default models/mnist)
  --out DIR     output directory (default dist/worker)
  --port N      port written into config.capnp (default 8787; workerd's
                --socket-addr http=HOST:PORT overrides it at start)
  -h, --help    show this help`;

await runCli("build-worker", USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), WORKERD_FLAGS);
  if (flags.help) return console.log(USAGE);
  const port = intFlag("port", flags.port, 1, 65535);
  const config = await buildWorker({ model: flags.model, out: flags.out, port });
  console.log(`build-worker: wrote ${resolve(flags.out)}; run: workerd serve ${config}`);
});
