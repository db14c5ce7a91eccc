// The dashboard under Deno: its page bundles with `deno bundle`, and /events streams the
// history then live events through the same Hono app.
import assert from "node:assert/strict";
import { buildDashboardPage } from "../../src/adapter/dashboard-build.ts";
import { EventLog } from "../../src/dashboard/event-log.ts";
import { type DashboardEvent, dashboardRetention } from "../../src/dashboard/events.ts";
import type { DashboardMessage } from "../../src/server/dashboard.ts";
import { createShardApp } from "../../src/server/shards.ts";
import { SseReader } from "../support/sse.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

Deno.test("dashboard: the page bundles under Deno with uPlot's CSS inlined", async () => {
  const page = await buildDashboardPage();
  assert.ok(page.html.includes(".uplot"), "uPlot's stylesheet is inlined");
  assert.ok(!page.html.includes("/* uplot.css */"), "the slot is filled");
  assert.ok(page.js.length > 10_000, `bundle of ${page.js.length} bytes`);
});

Deno.test("dashboard: /events sends the history, then live events", async () => {
  const log = new EventLog<DashboardEvent>({ retention: dashboardRetention });
  const app = createShardApp(
    { token: "unused", count: 0, shard: () => new Uint8Array() },
    { dashboard: { log, page: { html: "", js: "" } } },
  );
  log.push({ type: "checkpoint", dir: "ck", epoch: 1 });
  const sse = new SseReader(await app.request("/events"));
  const [first] = await sse.take<DashboardMessage>(1);
  assert.deepEqual([first.seq, first.event.type], [1, "checkpoint"]);
  log.push({ type: "end", status: "done" });
  const [live] = await sse.take<DashboardMessage>(1);
  assert.deepEqual(live.event, { type: "end", status: "done" });
  await sse.cancel();
});
