import type { Context } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { currentRuntime, unsupportedRuntime } from "./runtime.ts";

/** hono's WebSocket helper for this runtime, and the peer address of a request. */
export interface WebSocketSupport {
  readonly upgrade: UpgradeWebSocket;
  /** "host:port" of the request's peer, for log lines. */
  remoteAddress(c: Context): string;
}

/**
 * Loaded on demand: `hono/deno` reads `Deno` when imported, so neither adapter may be
 * imported in the other runtime.
 */
export async function webSocketSupport(): Promise<WebSocketSupport> {
  const runtime = currentRuntime();
  if (runtime === "other") throw unsupportedRuntime("WebSocket");
  const { upgradeWebSocket, getConnInfo } =
    runtime === "bun" ? await import("hono/bun") : await import("hono/deno");
  return {
    upgrade: upgradeWebSocket,
    remoteAddress(c) {
      try {
        const { address, port } = getConnInfo(c).remote;
        return `${address ?? "?"}:${port ?? "?"}`;
      } catch {
        return "an unknown address";
      }
    },
  };
}
