/**
 * `bun bench/dashboard.ts [-- --clients 3 --events 5000]`: what the dashboard costs the
 * coordinator's main thread. A real Bun server (the coordinator's Hono app with the dashboard
 * routes) streams `--events` realistic events to `--clients` SSE clients, each a separate
 * `curl -N` process so their reading costs this process nothing. The whole process's CPU time
 * (user + system, all its threads: an upper bound for the main thread) from the first push
 * until every client has received the last event, divided by the events, is the cost per
 * event; at the rate a run emits (a step and a worker-timing event every 250 ms) that gives
 * the main thread's busy share.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../src/adapter/serve.ts";
import { flagsOrExit, intFlag, parseFlags } from "../src/cli/args.ts";
import { Rng } from "../src/core/data/rng.ts";
import { EventLog } from "../src/dashboard/event-log.ts";
import { type DashboardEvent, dashboardRetention } from "../src/dashboard/events.ts";
import { createShardApp } from "../src/server/shards.ts";
import { RUN, stepEvent, workerTimes } from "../test/support/scripted-run.ts";

const USAGE = `Usage: bun bench/dashboard.ts [--clients N] [--events N]`;
/** A step event and a worker-timing event per 250 ms progress tick. */
const EVENTS_PER_SECOND = 8;
const DRAIN_TIMEOUT_MS = 60_000;
const END_MARKER = '"type":"end"';

const { clients, events } = flagsOrExit("bench/dashboard", USAGE, () => {
  const f = parseFlags(process.argv.slice(2), {
    clients: { type: "string" },
    events: { type: "string" },
  });
  return {
    clients: intFlag("--clients", f.clients, 1, 50) ?? 3,
    events: intFlag("--events", f.events, 1) ?? 5000,
  };
});

const log = new EventLog<DashboardEvent>({ retention: dashboardRetention });
const page = { html: "<!doctype html>", js: "" };
const server = serve(
  createShardApp(
    { token: "unused", count: 0, shard: () => new Uint8Array() },
    { dashboard: { log, page } },
  ).fetch,
);
const dir = await mkdtemp(join(tmpdir(), "shardfit-dash-bench-"));
const outputs = Array.from({ length: clients }, (_, i) => join(dir, `client-${i}.sse`));
const curls = outputs.map((file) =>
  Bun.spawn(["curl", "-sN", "--max-time", "120", "-o", file, `${server.url}/events`], {
    stdout: "ignore",
    stderr: "ignore",
  }),
);
try {
  const deadline = performance.now() + 10_000;
  while (log.subscriberCount < clients) {
    if (performance.now() > deadline)
      throw new Error(`only ${log.subscriberCount} of ${clients} clients connected`);
    await Bun.sleep(20);
  }
  const rng = Rng.fromSeed(1);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const step = (i * 8) % RUN.steps;
    log.push(i % 2 === 0 ? stepEvent(rng, 0, step) : workerTimes(rng, 0, step));
    // Yield now and then as the real producer does (it emits from a timer).
    if (i % 100 === 99) await Bun.sleep(0);
  }
  log.push({ type: "end", status: "done" });
  const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS;
  for (const file of outputs) {
    while (!(await readFile(file, "utf8").catch(() => "")).includes(END_MARKER)) {
      if (performance.now() > drainDeadline)
        throw new Error(`${file}: the end event never arrived`);
      await Bun.sleep(5);
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const sizes = await Promise.all(outputs.map((f) => Bun.file(f).size));
  const perEventMs = cpuMs / (events + 1);
  console.log(`clients ${clients}, events ${events + 1}, bytes per client ${sizes[0]}`);
  console.log(`wall ${wallMs.toFixed(0)} ms, process CPU ${cpuMs.toFixed(0)} ms`);
  console.log(`CPU per event (all clients): ${(perEventMs * 1000).toFixed(1)} µs`);
  console.log(
    `main thread busy at ${EVENTS_PER_SECOND} events/s: ${((perEventMs * EVENTS_PER_SECOND) / 10).toFixed(3)}%`,
  );
} finally {
  for (const c of curls) c.kill();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
