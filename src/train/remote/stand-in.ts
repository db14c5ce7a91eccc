import { WorkerHost } from "./host.ts";
import type { Connection, Link, StandIn } from "./peer.ts";

/**
 * Stand-ins for lost participants: a WorkerHost with the same thread count in this process,
 * joined through an in-memory link. It computes the same slots from the same shards, so the
 * run's weights are the same as if the participant had not been lost.
 */
export function standIns(baseUrl: () => string): StandIn {
  return (threads: number, to: Connection): Link => {
    // Delivered on a later microtask, as a socket would: no re-entry into the sender.
    const later = (f: () => void) => queueMicrotask(f);
    const host = new WorkerHost(
      {
        send: (data) => later(() => to.receive(data)),
        close: (code, reason) => later(() => to.closed(code, reason)),
      },
      { threads, token: "", runtime: "stand-in", baseUrl: baseUrl() },
    );
    host.finished.catch(() => {});
    return {
      send: (data) => later(() => host.receive(data)),
      close: (code, reason) => later(() => host.closed(code, reason)),
      remote: "this process",
    };
  };
}
