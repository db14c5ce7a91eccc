import { websocket } from "hono/bun";
import type { FetchHandler, ListenOptions, RunningServer } from "../listen.ts";

export function serveOnBun(
  fetch: FetchHandler,
  { hostname, port, host }: ListenOptions,
  maxWebSocketFrame?: number,
): RunningServer {
  // hono's Bun WebSocket helper finds the server as `fetch`'s second argument.
  const server =
    maxWebSocketFrame === undefined
      ? Bun.serve({ hostname, port, fetch })
      : Bun.serve({
          hostname,
          port,
          fetch,
          websocket: { ...websocket, maxPayloadLength: maxWebSocketFrame },
        });
  return {
    url: `http://${host}:${server.port}`,
    port: server.port as number,
    close: async (options) => void (await server.stop(!options?.graceful)),
  };
}
