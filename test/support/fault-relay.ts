/**
 * A fault-injecting relay between worker processes and a coordinator: a WebSocket server on
 * loopback that forwards `/join` both ways (and proxies the shard requests), and at a named
 * protocol point — the n-th message of a kind — injects one fault instead of forwarding.
 * Workers join the relay's URL as they would the coordinator's.
 */
import type { ServerWebSocket } from "bun";
import { carriedValues } from "../../src/collective/gradient-frame.ts";

/** Where the fault strikes: a message kind, in the direction it travels. */
export type FaultPoint =
  /** coordinator → worker */
  | "welcome"
  | "epoch"
  | "evaluate"
  /** worker → coordinator */
  | "ready"
  | "gradient";

export type FaultAction =
  /** Both connections close (the network between them failed). */
  | "cut"
  /** The message is dropped; the connection stays up. */
  | "swallow"
  /** gradient: every value becomes NaN. */
  | "nan"
  /** gradient: one value becomes +Infinity. */
  | "inf"
  /** epoch: the worker never sees it; the coordinator gets an immediate `epochEnd ok:true`. */
  | "claimEnd";

export interface Fault {
  readonly at: FaultPoint;
  readonly action: FaultAction;
  /** Which occurrence of the point (1-based, counted over every connection): default 1. */
  readonly nth?: number;
}

export interface FaultRelay {
  /** The join URL workers use instead of the coordinator's. */
  readonly joinUrl: string;
  /** Resolves when the fault has been injected. */
  readonly injected: Promise<void>;
  close(): void;
}

interface Pair {
  upstream?: WebSocket;
  /** Worker frames that arrived before the upstream socket opened. */
  queue: (string | ArrayBuffer)[];
}

/** Starts a relay in front of the coordinator whose join URL is `coordinatorJoinUrl`. */
export function faultRelay(coordinatorJoinUrl: string, fault: Fault): FaultRelay {
  const httpBase = new URL(coordinatorJoinUrl.replace(/^ws/, "http")).origin;
  const seen = new Map<FaultPoint, number>();
  let markInjected = () => {};
  const injected = new Promise<void>((resolve) => {
    markInjected = resolve;
  });
  let done = false;
  /** Whether this occurrence of `point` is the fault's. */
  const strikes = (point: FaultPoint) => {
    if (done || point !== fault.at) return false;
    const n = (seen.get(point) ?? 0) + 1;
    seen.set(point, n);
    if (n !== (fault.nth ?? 1)) return false;
    done = true;
    markInjected();
    return true;
  };
  const cut = (ws: ServerWebSocket<Pair>) => {
    ws.data.upstream?.close(1001, "relay cut");
    ws.terminate();
  };

  const server = Bun.serve<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      const url = new URL(request.url);
      if (url.pathname === "/join") {
        if (srv.upgrade(request, { data: { queue: [] } })) return undefined;
        return new Response("expected a WebSocket upgrade", { status: 400 });
      }
      const authorization = request.headers.get("authorization");
      return fetch(`${httpBase}${url.pathname}${url.search}`, {
        headers: authorization ? { authorization } : {},
      });
    },
    websocket: {
      maxPayloadLength: 512 * 1024 * 1024,
      open(ws) {
        const upstream = new WebSocket(coordinatorJoinUrl);
        upstream.binaryType = "arraybuffer";
        ws.data.upstream = upstream;
        upstream.onopen = () => {
          for (const data of ws.data.queue.splice(0)) upstream.send(data);
        };
        upstream.onmessage = (event) => {
          const data = event.data as string | ArrayBuffer;
          if (typeof data !== "string") return void ws.send(data);
          const message = JSON.parse(data) as { type: string; attempt?: number };
          const point = message.type as FaultPoint;
          if (!["welcome", "epoch", "evaluate"].includes(point) || !strikes(point)) {
            return void ws.send(data);
          }
          if (fault.action === "cut") return cut(ws);
          if (fault.action === "claimEnd") {
            // Stats a worker could claim after training nothing.
            const stats = [0.5, 60, 64];
            upstream.send(
              JSON.stringify({ type: "epochEnd", attempt: message.attempt, ok: true, stats }),
            );
          }
        };
        upstream.onclose = (event) => ws.close(event.code === 1005 ? 1000 : event.code);
      },
      message(ws, raw) {
        const data: string | ArrayBuffer =
          typeof raw === "string" ? raw : new Uint8Array(raw).slice().buffer;
        const forward = (frame: string | ArrayBuffer) => {
          const upstream = ws.data.upstream;
          if (upstream?.readyState === WebSocket.OPEN) upstream.send(frame);
          else ws.data.queue.push(frame);
        };
        if (typeof data === "string") {
          const type = (JSON.parse(data) as { type: string }).type;
          if (type === "ready" && strikes("ready")) {
            if (fault.action === "cut") return cut(ws);
            return; // swallowed
          }
          return forward(data);
        }
        if (!strikes("gradient")) return forward(data);
        if (fault.action === "cut") return cut(ws);
        if (fault.action === "swallow") return;
        // Dense or row-masked: either way, the floats the frame carries.
        const vector = carriedValues(data);
        if (fault.action === "nan") vector.fill(Number.NaN);
        else if (fault.action === "inf") vector[vector.length >> 1] = Number.POSITIVE_INFINITY;
        forward(data);
      },
      close(ws) {
        ws.data.upstream?.close();
      },
    },
  });
  return {
    joinUrl: `ws://127.0.0.1:${server.port}/join`,
    injected,
    close: () => server.stop(true),
  };
}
