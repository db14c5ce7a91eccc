import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { EventLog, LoggedEvent } from "../dashboard/event-log.ts";
import { cleanText } from "../dashboard/event-text.ts";
import type { DashboardEvent, DashboardMessage } from "../dashboard/events.ts";

export type { DashboardMessage };

import type { PageAssets } from "./page.ts";

export interface DashboardOptions {
  readonly log: EventLog<DashboardEvent>;
  /** `public/dashboard.html` and its bundle (see `buildDashboardPage`). */
  readonly page: PageAssets | Promise<PageAssets>;
  /**
   * A comment line this often while no event comes, so idle connections are not closed by
   * the server's idle timeout (Bun's is 10 s) or a proxy (default 5 s).
   */
  readonly heartbeatMs?: number;
}

/**
 * Read-only routes of the training dashboard: `GET /dashboard` (page), `GET /dashboard.js`
 * (its bundle) and `GET /events` (Server-Sent Events: the history so far, then live events;
 * a reconnecting EventSource's Last-Event-ID resumes after what it has).
 */
export function dashboardRoutes(options: DashboardOptions): Hono {
  const app = new Hono();
  const assets = Promise.resolve(options.page);
  assets.catch((error) => console.error(`dashboard: bundling failed: ${(error as Error).message}`));
  const heartbeatMs = options.heartbeatMs ?? 5000;

  app.get("/dashboard", async (c) =>
    c.html((await assets).html, 200, { "cache-control": "no-cache" }),
  );
  app.get("/dashboard.js", async (c) =>
    c.body((await assets).js, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
    }),
  );

  app.get("/events", (c) => {
    const lastId = c.req.header("last-event-id");
    if (lastId !== undefined && !/^\d+$/.test(lastId)) {
      return c.json(
        {
          error: `Last-Event-ID: expected a non-negative integer, got ${JSON.stringify(cleanText(lastId, 40))}`,
        },
        400,
      );
    }
    const subscription = options.log.subscribe(lastId ? Number(lastId) : 0);
    const response = streamSSE(c, async (stream) => {
      stream.onAbort(() => subscription.close());
      const send = (entry: LoggedEvent<DashboardEvent>) =>
        stream.writeSSE({ id: String(entry.seq), data: JSON.stringify(entry) });
      for (const entry of subscription.history) await send(entry);
      while (!stream.aborted) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const quiet = new Promise<null>((resolve) => {
          timer = setTimeout(resolve, heartbeatMs, null);
        });
        const batch = await Promise.race([subscription.next(), quiet]);
        clearTimeout(timer);
        if (batch === undefined) break;
        if (batch === null) await stream.write(": keep-alive\n\n");
        else for (const entry of batch) await send(entry);
      }
    });
    // Unsubscribed once the server has taken the whole body (or the client left), so the
    // log's drained() means every viewer has been sent its last event.
    return whenRead(response, () => subscription.close());
  });
  return app;
}

/** `response` with a body that calls `done` once it has been read to the end or cancelled. */
function whenRead(response: Response, done: () => void): Response {
  const inner = response.body?.getReader();
  if (!inner) {
    done();
    return response;
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done: ended, value } = await inner.read().catch((error) => {
        done();
        throw error;
      });
      if (!ended) return controller.enqueue(value);
      controller.close();
      done();
    },
    cancel(reason) {
      done();
      return inner.cancel(reason);
    },
  });
  return new Response(body, response);
}
