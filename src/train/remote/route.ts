import { Hono } from "hono";
import type { WebSocketSupport } from "../../adapter/websocket.ts";
import { CLOSE } from "../../collective/wire.ts";
import type { RemoteParticipants } from "./coordinator.ts";
import type { Connection } from "./peer.ts";

/**
 * `GET /join`: the WebSocket a worker process joins the run through. Binary frames larger
 * than `maxFrame` are refused (Bun cuts them before buffering; elsewhere they are refused here).
 */
export function joinRoutes(
  participants: RemoteParticipants,
  maxFrame: number,
  webSocket: WebSocketSupport,
): Hono {
  const { upgrade, remoteAddress } = webSocket;
  const app = new Hono();
  app.get(
    "/join",
    upgrade((c) => {
      let connection: Connection | undefined;
      const remote = remoteAddress(c);
      return {
        onOpen(_event, ws) {
          webSocket.arrayBuffers(ws.raw);
          connection = participants.connect({
            send: (data) => ws.send(data),
            close: (code, reason) => ws.close(code, reason),
            remote,
          });
        },
        onMessage(event, ws) {
          const data = event.data;
          if (typeof data === "string") return connection?.receive(data);
          const bytes = data instanceof ArrayBuffer ? data : undefined;
          if (!bytes || bytes.byteLength > maxFrame) {
            const size = bytes ? `${bytes.byteLength} bytes` : "not an ArrayBuffer";
            const reason = `binary frame refused (${size}; limit ${maxFrame})`;
            ws.close(CLOSE.tooBig, reason);
            connection?.closed(CLOSE.tooBig, reason);
            return;
          }
          connection?.receive(bytes);
        },
        onClose(event) {
          connection?.closed(event.code, event.reason);
        },
      };
    }),
  );
  return app;
}
