import type { Context } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import { currentRuntime, unsupportedRuntime } from "./runtime.ts";

/** hono's WebSocket helper for this runtime, and the peer address of a request. */
export interface WebSocketSupport {
  readonly upgrade: UpgradeWebSocket;
  /** "host:port" of the request's peer, for log lines. */
  remoteAddress(c: Context): string;
  /** What `serve` needs to route WebSocket events (Bun's handlers; Deno needs none). */
  readonly server: ServerWebSocket;
  /** Makes a fresh socket deliver binary frames as ArrayBuffers (Deno's default is Blob). */
  arrayBuffers(raw: unknown): void;
}

/** hono's Bun handlers for Bun.serve's `websocket` option; frames above the limit are cut. */
export interface ServerWebSocket {
  readonly bunHandlers?: object;
  readonly maxFrame?: number;
}

/**
 * Loaded on demand: `hono/deno` reads `Deno` when imported, so neither adapter may be
 * imported in the other runtime.
 */
export async function webSocketSupport(maxFrame: number): Promise<WebSocketSupport> {
  const runtime = currentRuntime();
  if (runtime === "other") throw unsupportedRuntime("WebSocket");
  const hono = runtime === "bun" ? await import("hono/bun") : await import("hono/deno");
  const { upgradeWebSocket, getConnInfo } = hono;
  return {
    upgrade: upgradeWebSocket,
    server: { bunHandlers: "websocket" in hono ? hono.websocket : undefined, maxFrame },
    arrayBuffers(raw) {
      // Bun's hono adapter already passes ArrayBuffers; Deno's socket is a WebSocket.
      if (runtime === "deno" && raw) (raw as WebSocket).binaryType = "arraybuffer";
    },
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
