/** The dashboard's routes through `app.request()`: the page, and the SSE history + live feed. */
import { describe, expect, test } from "bun:test";
import { EventLog } from "../../src/dashboard/event-log.ts";
import { type DashboardEvent, dashboardRetention } from "../../src/dashboard/events.ts";
import type { DashboardMessage } from "../../src/server/dashboard.ts";
import { createShardApp } from "../../src/server/shards.ts";
import { SseReader } from "../support/sse.ts";

const PAGE = { html: "<!doctype html><title>dash</title>", js: "console.log('dash')" };

function setup(options: { subscriberQueue?: number; heartbeatMs?: number } = {}) {
  const log = new EventLog<DashboardEvent>({
    retention: dashboardRetention,
    subscriberQueue: options.subscriberQueue,
  });
  const app = createShardApp(
    { token: "unused", count: 0, shard: () => new Uint8Array() },
    { dashboard: { log, page: PAGE, heartbeatMs: options.heartbeatMs } },
  );
  return { log, app };
}

const start: DashboardEvent = {
  type: "start",
  epochs: 2,
  steps: 100,
  workers: 2,
  batchSize: 128,
  trainSamples: 12_800,
  parameters: 407_050,
};

function step(epoch: number, s: number): DashboardEvent {
  return {
    type: "step",
    epoch,
    step: s,
    steps: 100,
    loss: 1 / (1 + s),
    accuracy: 0.9,
    samplesPerSecond: 20_000,
  };
}

/** Lets the route's async loop run (it reacts to pushes and cancels in microtasks/ticks). */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !until(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(until()).toBe(true);
}

test("GET /dashboard and /dashboard.js serve the page and its bundle", async () => {
  const { app } = setup();
  const page = await app.request("/dashboard");
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(await page.text()).toBe(PAGE.html);
  const js = await app.request("/dashboard.js");
  expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  expect(await js.text()).toBe(PAGE.js);
});

describe("GET /events", () => {
  test("a late subscriber gets the history first, then live events", async () => {
    const { log, app } = setup();
    log.push(start);
    for (let s = 1; s <= 5; s++) log.push(step(0, s));
    log.push({ type: "recovered", epoch: 0, step: 5, workers: [1], reason: "worker 1 exited" });

    const res = await app.request("/events");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const sse = new SseReader(res);
    const history = await sse.take<DashboardMessage>(7);
    expect(history.map((m) => m.event.type)).toEqual([
      "start",
      ...Array(5).fill("step"),
      "recovered",
    ]);
    expect(history.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(history[0].event).toEqual(start);

    log.push(step(0, 6));
    log.push({ type: "checkpoint", dir: "ck", epoch: 1 });
    const live = await sse.take<DashboardMessage>(2);
    expect(live.map((m) => [m.seq, m.event.type])).toEqual([
      [8, "step"],
      [9, "checkpoint"],
    ]);
    expect(live[0].event).toEqual(step(0, 6));
    await sse.cancel();
  });

  test("each message carries its seq as the SSE id; Last-Event-ID resumes after it", async () => {
    const { log, app } = setup();
    for (let s = 1; s <= 4; s++) log.push(step(0, s));
    const first = new SseReader(await app.request("/events"));
    const message = await first.next();
    expect(message?.id).toBe("1");
    await first.cancel();

    const resumed = new SseReader(
      await app.request("/events", { headers: { "last-event-id": "2" } }),
    );
    const rest = await resumed.take<DashboardMessage>(2);
    expect(rest.map((m) => m.seq)).toEqual([3, 4]);
    await resumed.cancel();
  });

  test("a malformed Last-Event-ID is a 400 naming the header", async () => {
    const { app } = setup();
    const res = await app.request("/events", { headers: { "last-event-id": "abc" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'Last-Event-ID: expected a non-negative integer, got "abc"',
    });
  });

  test("a client that disconnects is unsubscribed; the producer and other clients go on", async () => {
    const { log, app } = setup();
    log.push(start);
    const leaving = new SseReader(await app.request("/events"));
    const staying = new SseReader(await app.request("/events"));
    await leaving.take(1);
    await staying.take(1);
    await settle(() => log.subscriberCount === 2);

    await leaving.cancel();
    await settle(() => log.subscriberCount === 1);
    for (let s = 1; s <= 1000; s++) log.push(step(0, s));
    log.push({ type: "end", status: "done" });
    expect(log.lastSeq).toBe(1002);
    const live = await staying.take<DashboardMessage>(1001);
    expect(live.at(-1)?.event).toEqual({ type: "end", status: "done" });
    await staying.cancel();
    await settle(() => log.subscriberCount === 0);
  });

  test("a client that does not read stays bounded: it skips steps, never kept events", async () => {
    const { log, app } = setup({ subscriberQueue: 20 });
    const res = await app.request("/events");
    await settle(() => log.subscriberCount === 1);
    for (let s = 1; s <= 5000; s++) {
      log.push(step(0, s % 100));
      if (s % 1000 === 0) log.push({ type: "checkpoint", dir: "ck", epoch: s / 1000 });
    }
    log.push({ type: "end", status: "done" });
    // Now read everything that reached this client.
    const sse = new SseReader(res);
    const got: DashboardMessage[] = [];
    while (got.at(-1)?.event.type !== "end") got.push(...(await sse.take<DashboardMessage>(1)));
    const steps = got.filter((m) => m.event.type === "step");
    expect(steps.length).toBeLessThan(100);
    expect(got.filter((m) => m.event.type === "checkpoint").map((m) => m.seq)).toEqual([
      1001, 2002, 3003, 4004, 5005,
    ]);
    const seqs = got.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await sse.cancel();
  });

  test("a quiet stream sends keep-alive comments", async () => {
    const { app } = setup({ heartbeatMs: 10 });
    const sse = new SseReader(await app.request("/events"));
    const message = await sse.next();
    expect(message?.comment).toBe(true);
    await sse.cancel();
  });
});
