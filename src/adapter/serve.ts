/** Starts a fetch handler on Bun or Deno; the one place that knows which runtime it is on. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /**
   * Stops listening. `graceful` lets in-flight requests finish first (for SIGINT/SIGTERM);
   * the default drops open connections at once, which tests want.
   */
  close(options?: { graceful?: boolean }): Promise<void>;
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

interface DenoServe {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: FetchHandler,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}

export function serve(
  fetch: FetchHandler,
  options: { hostname?: string; port?: number } = {},
): RunningServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 0;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const deno = (globalThis as { Deno?: DenoServe }).Deno;
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ hostname, port, fetch });
    return {
      url: `http://${host}:${server.port}`,
      port: server.port as number,
      close: async (options) => void (await server.stop(!options?.graceful)),
    };
  }
  if (deno) {
    const server = deno.serve({ hostname, port, onListen: () => {} }, fetch);
    return {
      url: `http://${host}:${server.addr.port}`,
      port: server.addr.port,
      close: () => server.shutdown(),
    };
  }
  throw new Error("serve: unsupported runtime (use Bun or Deno)");
}
