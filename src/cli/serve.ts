/**
 * `bun src/cli/serve.ts` / `deno run -A src/cli/serve.ts`: serves a trained model, its predict
 * API and the drawing page. The same file runs on both runtimes; serve() picks the listener.
 */
import { loadModelDir } from "../adapter/fs/model-files.ts";
import { buildPage } from "../adapter/page-build.ts";
import { runtimeDescription } from "../adapter/runtime.ts";
import { serve } from "../adapter/serve.ts";
import { describeSpec } from "../core/model/describe.ts";
import { createApp } from "../server/app.ts";
import { mountPage } from "../server/page.ts";
import { intFlag, parseFlags, runCli, SERVE_FLAGS } from "./args.ts";

const USAGE = `Usage: serve [--model DIR] [--port N] [--host ADDR]

Serves the drawing page (GET /), the predict API (GET/POST /predict, GET /model) and the
model files (GET /model.json, /weights.bin).

  --model DIR   model directory holding model.json + weights.bin (default models/mnist)
  --port N      TCP port, 0 for any free port (default 8787)
  --host ADDR   address to listen on (default 127.0.0.1)
  -h, --help    show this help`;

await runCli("serve", USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), SERVE_FLAGS);
  if (flags.help) return console.log(USAGE);
  const port = intFlag("port", flags.port, 0, 65535);
  const model = await loadModelDir(flags.model).catch((error: Error) => {
    throw new Error(`${error.message}\n(train one with \`npm run train\`)`);
  });

  // The page bundles in the background so /health and /predict answer as soon as we listen.
  const app = mountPage(createApp({ model }), buildPage());
  const server = serve(app.fetch, { hostname: flags.host, port });
  console.log(
    `shardfit: serving ${describeSpec(model.spec)} on ${server.url} (${runtimeDescription()})`,
  );

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
});
