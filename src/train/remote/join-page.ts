import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { modulePath } from "../../adapter/fs/module-path.ts";
import { bundleForBrowser as bundle } from "../../adapter/page-build.ts";

/**
 * `GET /join` (without a WebSocket upgrade): a page that makes a browser tab a participant.
 * Cross-origin isolated (COOP + COEP), because its threads share memory like a worker
 * process's do; its scripts are bundled on first request.
 */
const ISOLATED = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};
const WASM_FILES = new Set([
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
]);
const entry = (name: string) => modulePath(`./browser/${name}`, import.meta.url);

const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>shardfit: join a training run</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<h1>shardfit</h1>
<p>This tab trains its part of every step of the run. Keep it open and in front.</p>
<p id="status">starting…</p>
<script type="module" src="/join/app.js"></script>
</html>
`;

export function joinPageRoutes(): Hono {
  let scripts: Promise<{ app: string; trainer: string }> | undefined;
  const load = () => {
    scripts ??= Promise.all([
      bundle(entry("join-app.ts")),
      bundle(entry("trainer-worker.ts")),
    ]).then(([app, trainer]) => ({ app, trainer }));
    return scripts;
  };
  const js = { ...ISOLATED, "content-type": "text/javascript; charset=utf-8" };
  const app = new Hono();
  app.get("/join", (c) => c.html(PAGE, 200, ISOLATED));
  app.get("/join/app.js", async (c) => c.body((await load()).app, 200, js));
  app.get("/join/trainer.js", async (c) => c.body((await load()).trainer, 200, js));
  app.get("/join/wasm/:file", async (c) => {
    const file = c.req.param("file");
    if (!WASM_FILES.has(file)) return c.json({ error: `no such wasm file: "${file}"` }, 404);
    const dist = new URL("./", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
    const bytes = await readFile(fileURLToPath(new URL(file, dist).href));
    return c.body(bytes, 200, { ...ISOLATED, "content-type": "application/wasm" });
  });
  return app;
}
