import type { FetchHandler, ListenOptions, RunningServer } from "../listen.ts";

export function serveOnBun(
  fetch: FetchHandler,
  { hostname, port, host }: ListenOptions,
): RunningServer {
  const server = Bun.serve({ hostname, port, fetch });
  return {
    url: `http://${host}:${server.port}`,
    port: server.port as number,
    close: async (options) => void (await server.stop(!options?.graceful)),
  };
}
