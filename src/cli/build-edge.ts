/** `npm run build:edge -- --model DIR [--out DIR] [--port N]`: writes the edge (workerd) bundle. */
import { resolve } from "node:path";
import { buildEdge } from "../adapter/edge/bundle.ts";
import { EDGE_BUILD_FLAGS, intFlag, parseFlags, runCli } from "./args.ts";

const USAGE = `Usage: build-edge [--model DIR] [--out DIR] [--port N]

  --model DIR   model directory holding model.json + weights.bin (default models/mnist)
  --out DIR     output directory (default dist/edge)
  --port N      port written into config.capnp (default 8787; workerd's
                --socket-addr http=HOST:PORT overrides it at start)
  -h, --help    show this help`;

await runCli("build-edge", USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), EDGE_BUILD_FLAGS);
  if (flags.help) return console.log(USAGE);
  const port = intFlag("port", flags.port, 1, 65535);
  const config = await buildEdge({ model: flags.model, out: flags.out, port });
  console.log(`build-edge: wrote ${resolve(flags.out)}; run: workerd serve ${config}`);
});
