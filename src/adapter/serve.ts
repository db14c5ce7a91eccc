import { serveOnBun } from "./bun/serve.ts";
import { serveOnDeno } from "./deno/serve.ts";
import type { FetchHandler, RunningServer } from "./listen.ts";
import { currentRuntime, unsupportedRuntime } from "./runtime.ts";
import type { ServerWebSocket } from "./websocket.ts";

export type { FetchHandler, RunningServer };

/**
 * Starts `fetch` on Bun or Deno, on 127.0.0.1 and a free port unless told otherwise.
 * `webSocket` (from adapter/websocket.ts) routes hono's WebSocket events on Bun, where larger
 * frames than its limit close the connection before they are buffered; Deno needs nothing.
 */
export function serve(
  fetch: FetchHandler,
  options: { hostname?: string; port?: number; webSocket?: ServerWebSocket } = {},
): RunningServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const listen = {
    hostname,
    port: options.port ?? 0,
    host: hostname.includes(":") ? `[${hostname}]` : hostname,
  };
  const runtime = currentRuntime();
  if (runtime === "bun") return serveOnBun(fetch, listen, options.webSocket);
  if (runtime === "deno") return serveOnDeno(fetch, listen);
  throw unsupportedRuntime("serve");
}
