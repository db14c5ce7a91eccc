/**
 * `bun src/cli/serve.ts` / `deno run -A src/cli/serve.ts`: serves a trained model, its predict
 * API and the drawing page. The same file runs on both runtimes; serve() picks the listener.
 */
import { parseArgs } from "node:util";
import { loadModelDir } from "../adapter/model-files.ts";
import { buildPage } from "../adapter/page-build.ts";
import { serve } from "../adapter/serve.ts";
import { describeSpec } from "../core/spec.ts";
import { createApp } from "../server/app.ts";
import { mountPage } from "../server/page.ts";

const USAGE = `Usage: serve [--model DIR] [--port N] [--host ADDR]

Serves the drawing page (GET /), the predict API (GET/POST /predict, GET /model) and the
model files (GET /model.json, /weights.bin).

  --model DIR   model directory holding model.json + weights.bin (default models/mnist)
  --port N      TCP port, 0 for any free port (default 8787)
  --host ADDR   address to listen on (default 127.0.0.1)
  -h, --help    show this help`;

function usageError(message: string): never {
  console.error(`serve: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let values: { model: string; port: string; host: string; help?: boolean };
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      model: { type: "string", default: "models/mnist" },
      port: { type: "string", default: "8787" },
      host: { type: "string", default: "127.0.0.1" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  usageError((error as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65535) {
  usageError(`--port: expected an integer in 0..65535, got "${values.port}"`);
}

let model: Awaited<ReturnType<typeof loadModelDir>>;
try {
  model = await loadModelDir(values.model);
} catch (error) {
  console.error(`serve: ${(error as Error).message}\n(train one with \`npm run train\`)`);
  process.exit(1);
}

// The page bundles in the background so /health and /predict answer as soon as we listen.
const app = mountPage(createApp({ model }), buildPage());
const server = serve(app.fetch, { hostname: values.host, port });
const runtime = typeof Bun !== "undefined" ? `Bun ${Bun.version}` : `Deno ${process.versions.deno}`;
console.log(`shardfit: serving ${describeSpec(model.spec)} on ${server.url} (${runtime})`);

// Finish in-flight requests, then exit, so Ctrl-C and `kill` never cut a response short.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    // A stuck client must not keep the process alive forever.
    setTimeout(() => process.exit(1), 5000).unref?.();
    server.close({ graceful: true }).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
