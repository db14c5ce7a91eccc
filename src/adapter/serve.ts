import { serveOnBun } from "./bun/serve.ts";
import { serveOnDeno } from "./deno/serve.ts";
import type { FetchHandler, RunningServer } from "./listen.ts";
import { currentRuntime, unsupportedRuntime } from "./runtime.ts";

export type { FetchHandler, RunningServer };

/**
 * Starts `fetch` on Bun or Deno, on 127.0.0.1 and a free port unless told otherwise.
 * `maxWebSocketFrame` enables hono's WebSocket helper (adapter/websocket.ts) on Bun, where
 * larger frames close the connection before they are buffered; Deno needs nothing here.
 */
export function serve(
  fetch: FetchHandler,
  options: { hostname?: string; port?: number; maxWebSocketFrame?: number } = {},
): RunningServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const listen = {
    hostname,
    port: options.port ?? 0,
    host: hostname.includes(":") ? `[${hostname}]` : hostname,
  };
  const runtime = currentRuntime();
  if (runtime === "bun") return serveOnBun(fetch, listen, options.maxWebSocketFrame);
  if (runtime === "deno") return serveOnDeno(fetch, listen);
  throw unsupportedRuntime("serve");
}
