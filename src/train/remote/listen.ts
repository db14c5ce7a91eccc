import type { Hono } from "hono";
import type { RunningServer } from "../../adapter/listen.ts";
import { serve } from "../../adapter/serve.ts";
import { webSocketSupport } from "../../adapter/websocket.ts";
import { frameBytes, MAX_WORKER_TEXT } from "../../collective/wire.ts";
import { newToken } from "../../server/shards.ts";
import type { TrainConfig } from "../config.ts";
import type { Participants } from "../participants.ts";
import type { TrainEvent } from "../types.ts";
import { RemoteParticipants } from "./coordinator.ts";
import { joinPageRoutes } from "./join-page.ts";
import { joinRoutes } from "./route.ts";
import { standIns } from "./stand-in.ts";

export interface ListenOptions {
  readonly remote: NonNullable<TrainConfig["remote"]>;
  readonly optimizer: TrainConfig["optimizer"];
  readonly paramCount: number;
  readonly signal: AbortSignal;
  readonly emit: (event: TrainEvent) => void;
  readonly timeouts?: { helloMs?: number; handshakeMs?: number };
}

/**
 * The run's participants: worker processes that join over WebSocket at `/join` on the
 * coordinator's server, which then listens where the options say (loopback by default).
 */
export async function listenForWorkers(
  app: Hono,
  o: ListenOptions,
): Promise<{ participants: Participants; server: RunningServer }> {
  const { remote, emit } = o;
  const token = remote.token ?? newToken();
  let url = "";
  const participants = new RemoteParticipants({
    expect: remote.expectWorkers,
    token,
    paramCount: o.paramCount,
    optimizer: o.optimizer,
    signal: o.signal,
    log: (message) => emit({ type: "participant", message }),
    standIn: remote.standIns ? standIns(() => url) : undefined,
    helloTimeoutMs: o.timeouts?.helloMs,
    handshakeTimeoutMs: o.timeouts?.handshakeMs,
  });
  const maxFrame = frameBytes(o.paramCount);
  // Bun cuts any frame above this, text or binary: room for the largest text message too
  // (an evaluation with predictions); joinRoutes holds binary frames to maxFrame.
  const webSocket = await webSocketSupport(Math.max(maxFrame, MAX_WORKER_TEXT));
  app.route("/", joinRoutes(participants, maxFrame, webSocket));
  app.route("/", joinPageRoutes());
  const { hostname, port } = remote;
  const server = serve(app.fetch, { hostname, port, webSocket: webSocket.server });
  url = server.url;
  emit({
    type: "listening",
    joinUrl: `${server.url.replace(/^http/, "ws")}/join`,
    token,
    expectWorkers: remote.expectWorkers,
    loopback: ["127.0.0.1", "::1", "localhost"].includes(hostname),
  });
  return { participants, server };
}
