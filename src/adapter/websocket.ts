import type { Context } from "hono";
import type { UpgradeWebSocket, WSEvents, WSMessageReceive } from "hono/ws";
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

/** Close code for a message too big to process (RFC 6455), as Bun sends it. */
const MESSAGE_TOO_BIG = 1009;

/**
 * Loaded on demand: `hono/deno` reads `Deno` when imported, so neither adapter may be
 * imported in the other runtime. A message (text or binary) larger than `maxFrame` bytes
 * closes the connection with 1009 on both runtimes: Bun cuts it before buffering it; Deno
 * has no such option (denoland/deno#15809), so it buffers the message (up to its own fixed
 * 64 MiB limit) and `upgrade` refuses it before any handler sees it.
 */
export async function webSocketSupport(maxFrame: number): Promise<WebSocketSupport> {
  const runtime = currentRuntime();
  if (runtime === "other") throw unsupportedRuntime("WebSocket");
  const hono = runtime === "bun" ? await import("hono/bun") : await import("hono/deno");
  const { upgradeWebSocket, getConnInfo } = hono;
  const upgrade =
    runtime === "bun"
      ? upgradeWebSocket
      : (((createEvents: (c: Context) => WSEvents | Promise<WSEvents>, options?: unknown) =>
          upgradeWebSocket(
            async (c) => refuseLarger(await createEvents(c), maxFrame),
            options as undefined,
          )) as UpgradeWebSocket);
  return {
    upgrade,
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

/** `events` with messages over `maxFrame` bytes closing the socket (1009) instead. */
export function refuseLarger(events: WSEvents, maxFrame: number): WSEvents {
  return {
    ...events,
    onMessage(event, ws) {
      const bytes = messageBytes(event.data, maxFrame);
      if (bytes > maxFrame) {
        ws.close(MESSAGE_TOO_BIG, `message too big: over ${maxFrame} bytes`);
        return;
      }
      events.onMessage?.(event, ws);
    },
  };
}

/** A message's size in bytes (a text's UTF-8 length, counted only as far as `limit` + 1). */
function messageBytes(data: WSMessageReceive, limit: number): number {
  if (data instanceof Blob) return data.size;
  if (typeof data !== "string") return data.byteLength;
  // Each UTF-16 unit is 1 to 3 UTF-8 bytes: only a text in between needs counting.
  if (data.length > limit || data.length * 3 <= limit) return data.length;
  let bytes = 0;
  for (let i = 0; i < data.length && bytes <= limit; i++) {
    const unit = data.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit < 0x800 || (unit >= 0xd800 && unit < 0xe000) ? 2 : 3;
  }
  return bytes;
}
