import type { FetchHandler, ListenOptions, RunningServer } from "../listen.ts";
import type { ServerWebSocket } from "../websocket.ts";

export function serveOnBun(
  fetch: FetchHandler,
  { hostname, port, host }: ListenOptions,
  webSocket?: ServerWebSocket,
): RunningServer {
  // hono's Bun WebSocket helper finds the server as `fetch`'s second argument.
  const websocket = webSocket?.bunHandlers && {
    ...(webSocket.bunHandlers as Bun.WebSocketHandler<unknown>),
    maxPayloadLength: webSocket.maxFrame,
  };
  const server = websocket
    ? Bun.serve({ hostname, port, fetch, websocket })
    : Bun.serve({ hostname, port, fetch });
  return {
    url: `http://${host}:${server.port}`,
    port: server.port as number,
    close: async (options) => void (await server.stop(!options?.graceful)),
  };
}
