import type { FetchHandler, ListenOptions, RunningServer } from "../listen.ts";

interface DenoServe {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: FetchHandler,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}

export function serveOnDeno(
  fetch: FetchHandler,
  { hostname, port, host }: ListenOptions,
): RunningServer {
  const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
  const server = deno.serve({ hostname, port, onListen: () => {} }, fetch);
  return {
    url: `http://${host}:${server.addr.port}`,
    port: server.addr.port,
    close: () => server.shutdown(),
  };
}
