/**
 * A real run's dashboard through its own app (`app.request()`, no network): a subscriber
 * that joins mid-run gets the history first, then every live event to the end; clients that
 * disconnect, or never read, neither stop nor change the run: it ends with the weights of a
 * run without a dashboard.
 */
import { beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import type { DashboardMessage } from "../../src/server/dashboard.ts";
import type { RunDashboard } from "../../src/train/dashboard.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import { train } from "../../src/train/train.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "../../src/train/types.ts";
import { SseReader } from "../support/sse.ts";

let dataset: Dataset;
let undisturbed: TrainResult;
// 25 steps an epoch: several progress ticks even on a fast machine.
const small = (): TrainOptions => ({
  dataset,
  workers: 2,
  epochs: 2,
  trainLimit: 3200,
  testLimit: 500,
  out: false,
  checkpointDir: false,
});

beforeAll(async () => {
  dataset = await loadIdxDataset();
  undisturbed = await train(small());
});

/** Everything a subscriber receives up to and including the `end` event. */
async function readToEnd(sse: SseReader): Promise<DashboardMessage[]> {
  const got: DashboardMessage[] = [];
  while (got.at(-1)?.event.type !== "end") got.push(...(await sse.take<DashboardMessage>(1)));
  return got;
}

test("mid-run: history first, then live to the end; leaving and stalled clients change nothing", async () => {
  let app!: Hono;
  let dashboard!: RunDashboard;
  const events: TrainEvent[] = [];
  let joined: Promise<{ seqAtJoin: number; messages: DashboardMessage[] }> | undefined;
  let left: Promise<number> | undefined;
  const result = await trainWithHooks(
    {
      ...small(),
      dashboard: true,
      onProgress: (e) => {
        events.push(e);
        if (e.type !== "step" || joined) return;
        // The first progress tick: training is under way.
        const seqAtJoin = dashboard.log.lastSeq;
        joined = Promise.resolve(app.request("/events"))
          .then((res) => readToEnd(new SseReader(res)))
          .then((messages) => ({ seqAtJoin, messages }));
        // One client reads a message and hangs up; one connects and never reads.
        left = Promise.resolve(app.request("/events")).then(async (res) => {
          const sse = new SseReader(res);
          await sse.take(1);
          await sse.cancel();
          return dashboard.log.subscriberCount;
        });
        void app.request("/events");
      },
    },
    {
      onDashboard: (a, d) => {
        app = a;
        dashboard = d;
      },
    },
  );
  expect(joined).toBeDefined();
  const { seqAtJoin, messages } = await joined!;

  // History: what happened before joining, from the first event on, in order.
  const history = messages.filter((m) => m.seq <= seqAtJoin);
  expect(history.map((m) => m.event.type).slice(0, 3)).toEqual(["dashboard", "start", "settings"]);
  expect(history.some((m) => m.event.type === "step")).toBe(true);
  // Live: every event after joining, none skipped, to the end.
  const live = messages.filter((m) => m.seq > seqAtJoin);
  expect(live.map((m) => m.seq)).toEqual(
    Array.from({ length: live.length }, (_, i) => seqAtJoin + 1 + i),
  );
  expect(live.map((m) => m.event.type)).toContain("evaluation");
  expect(messages.at(-1)?.event).toEqual({ type: "end", status: "done" });
  // The log got what onProgress got, in the same order (nothing with the run token).
  expect(live.map((m) => m.event)).toEqual(events.slice(-live.length));

  // The client that hung up was unsubscribed while the run went on; the run was not disturbed.
  expect(await left!).toBeLessThan(3);
  expect(result.params).toEqual(undisturbed.params);
  expect(result.history.map((h) => h.testAccuracy)).toEqual(
    undisturbed.history.map((h) => h.testAccuracy),
  );
}, 120_000);

test("a viewer over the network gets `saved` and `end` before the run's server closes", async () => {
  const out = await mkdtemp(join(tmpdir(), "shardfit-dashboard-"));
  let viewer: Promise<DashboardMessage[]> | undefined;
  try {
    await train({
      ...small(),
      epochs: 1,
      out,
      dashboard: true,
      onProgress: (e) => {
        if (e.type !== "dashboard") return;
        const url = e.url.replace(/\/dashboard$/, "/events");
        viewer = fetch(url).then(async (res) => {
          const sse = new SseReader(res);
          const got: DashboardMessage[] = [];
          for (let m = await sse.next(); m; m = await sse.next()) {
            if (m.data !== undefined) got.push(JSON.parse(m.data));
          }
          return got;
        });
      },
    });
    const types = (await viewer!).map((m) => m.event.type);
    expect(types.slice(-3)).toEqual(["evaluation", "saved", "end"]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}, 120_000);

test("a dashboard port that is taken is a clear error naming it", async () => {
  const busy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  try {
    await expect(train({ ...small(), dashboard: { port: busy.port } })).rejects.toThrow(
      `dashboard: cannot listen on 127.0.0.1:${busy.port}`,
    );
  } finally {
    await busy.stop(true);
  }
});
