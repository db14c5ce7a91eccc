import { describe, expect, test } from "bun:test";
import { EventLog, type EventLogOptions, type Retention } from "../../src/dashboard/event-log.ts";

/** A minimal event: kind decides retention, n numbers the events of each test. */
interface Ev {
  kind: Retention;
  n: number;
}

function log(
  options: Partial<
    Pick<
      EventLogOptions<Ev>,
      "maxThinned" | "maxKept" | "maxKeptBytes" | "maxRecent" | "maxRecentBytes" | "subscriberQueue"
    >
  > = {},
) {
  let clock = 1000;
  return new EventLog<Ev>({ retention: (e) => e.kind, now: () => clock++, ...options });
}

const events = (l: EventLog<Ev>) => l.history().map((e) => e.event);

describe("history", () => {
  test("keeps every 'keep' event and the step shape within the cap, in push order", () => {
    const l = log({ maxThinned: 10 });
    for (let n = 0; n < 1000; n++) l.push({ kind: n % 100 === 0 ? "keep" : "thin", n });
    const history = l.history();
    const seqs = history.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(history.map((e) => e.time)).toEqual(seqs.map((s) => 999 + s));
    const kept = events(l).filter((e) => e.kind === "keep");
    expect(kept.map((e) => e.n)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    const thin = events(l).filter((e) => e.kind === "thin");
    // At most the cap, plus the newest one (progress must show where the run is now).
    expect(thin.length).toBeLessThanOrEqual(11);
    expect(thin.length).toBeGreaterThanOrEqual(5);
    expect(thin.at(-1)?.n).toBe(999);
    // Spread over the whole run, not just its end: the first is from the first tenth.
    expect(thin[0].n).toBeLessThan(100);
    // Evenly thinned: equal gaps (in thin events) between the kept ones.
    const thinIndex = (n: number) => n - Math.floor(n / 100) - 1;
    const gaps = thin.slice(1, -1).map((e, i) => thinIndex(e.n) - thinIndex(thin[i].n));
    expect(new Set(gaps).size).toBe(1);
  });

  test("only the newest 'latest' event is kept, at its place in the order", () => {
    const l = log();
    l.push({ kind: "latest", n: 1 });
    l.push({ kind: "keep", n: 2 });
    l.push({ kind: "latest", n: 3 });
    l.push({ kind: "keep", n: 4 });
    expect(events(l).map((e) => e.n)).toEqual([2, 3, 4]);
  });

  test("'keep' events past maxKept drop the oldest", () => {
    const l = log({ maxKept: 3 });
    for (let n = 1; n <= 5; n++) l.push({ kind: "keep", n });
    expect(events(l).map((e) => e.n)).toEqual([3, 4, 5]);
  });

  test("a flood of 'recent' notices keeps only the newest, and never evicts a 'keep' event", () => {
    const l = log({ maxRecent: 5 });
    l.push({ kind: "keep", n: -1 });
    for (let n = 0; n < 10_050; n++) l.push({ kind: "recent", n });
    l.push({ kind: "keep", n: -2 });
    expect(events(l).map((e) => e.n)).toEqual([-1, 10_045, 10_046, 10_047, 10_048, 10_049, -2]);
  });

  test("'recent' and 'keep' events are bounded in bytes too, each kind on its own", () => {
    let clock = 0;
    const l = new EventLog<Ev & { text?: string }>({
      retention: (e) => e.kind,
      now: () => clock++,
      maxRecentBytes: 1000,
      maxKeptBytes: 2000,
    });
    const big = "x".repeat(400);
    for (let n = 0; n < 60; n++) l.push({ kind: "recent", n, text: big });
    for (let n = 100; n < 110; n++) l.push({ kind: "keep", n, text: big });
    const sizes = (kind: Retention) =>
      l
        .history()
        .filter((e) => e.event.kind === kind)
        .map((e) => JSON.stringify(e.event).length);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sizes("recent")).toHaveLength(2);
    expect(sum(sizes("recent"))).toBeLessThanOrEqual(1000);
    expect(
      l
        .history()
        .filter((e) => e.event.kind === "keep")
        .map((e) => e.event.n),
    ).toEqual([105, 106, 107, 108, 109].slice(-Math.floor(2000 / sizes("keep")[0])));
    expect(sum(sizes("keep"))).toBeLessThanOrEqual(2000);
  });

  test("bad bounds are refused by name", () => {
    expect(() => log({ maxThinned: 1 })).toThrow(
      "EventLog: maxThinned must be an integer ≥ 2, got 1",
    );
    expect(() => log({ subscriberQueue: 2.5 })).toThrow("subscriberQueue");
  });
});

describe("subscribers", () => {
  test("a late subscriber gets the history first, then live events in order", async () => {
    const l = log();
    l.push({ kind: "keep", n: 1 });
    l.push({ kind: "thin", n: 2 });
    const s = l.subscribe();
    expect(s.history.map((e) => e.event.n)).toEqual([1, 2]);
    const pending = s.next();
    l.push({ kind: "thin", n: 3 });
    l.push({ kind: "keep", n: 4 });
    expect((await pending)?.map((e) => e.event.n)).toEqual([3, 4]);
    l.push({ kind: "keep", n: 5 });
    expect((await s.next())?.map((e) => e.seq)).toEqual([5]);
  });

  test("subscribe(after) skips what the client already has (SSE Last-Event-ID)", () => {
    const l = log();
    for (let n = 1; n <= 4; n++) l.push({ kind: "keep", n });
    expect(l.subscribe(2).history.map((e) => e.seq)).toEqual([3, 4]);
  });

  test("calling next() again while waiting returns the same batch, not a lost one", async () => {
    const l = log();
    const s = l.subscribe();
    const first = s.next();
    const second = s.next();
    l.push({ kind: "keep", n: 1 });
    expect(await first).toBe(await second);
    expect((await first)?.map((e) => e.event.n)).toEqual([1]);
  });

  test("close() ends a waiting next(), unsubscribes, and later pushes skip it", async () => {
    const l = log();
    const s = l.subscribe();
    const pending = s.next();
    expect(l.subscriberCount).toBe(1);
    s.close();
    expect(await pending).toBeUndefined();
    expect(l.subscriberCount).toBe(0);
    l.push({ kind: "keep", n: 1 });
    expect(s.queued).toBe(0);
    expect(await s.next()).toBeUndefined();
  });

  test("a subscriber that never reads stays bounded and loses only droppable events", () => {
    const l = log({ subscriberQueue: 50 });
    const slow = l.subscribe();
    for (let n = 0; n < 10_000; n++) l.push({ kind: n % 1000 === 0 ? "keep" : "thin", n });
    expect(slow.closed).toBe(false);
    expect(slow.queued).toBe(50);
    expect(slow.dropped).toBe(10_000 - 50);
    // The producer's history is unaffected by the slow reader.
    expect(events(l).filter((e) => e.kind === "keep")).toHaveLength(10);
  });

  test("end(): each subscriber gets what it has queued, then the end; drained() waits for all", async () => {
    const l = log();
    l.push({ kind: "keep", n: 1 });
    const reading = l.subscribe();
    const waiting = reading.next();
    l.push({ kind: "keep", n: 2 });
    const behind = l.subscribe();
    l.push({ kind: "keep", n: 3 });
    let drained = false;
    const done = l.drained().then(() => {
      drained = true;
    });
    l.end();
    l.push({ kind: "keep", n: 4 });
    expect((await waiting)?.map((e) => e.event.n)).toEqual([2, 3]);
    expect(await reading.next()).toBeUndefined();
    reading.close();
    expect((await behind.next())?.map((e) => e.event.n)).toEqual([3]);
    expect(await behind.next()).toBeUndefined();
    expect(drained).toBe(false);
    behind.close();
    await done;
    // A late subscriber gets the history and the end at once.
    const late = l.subscribe();
    expect(late.history.map((e) => e.event.n)).toEqual([1, 2, 3]);
    expect(await late.next()).toBeUndefined();
  });

  test("a subscriber whose queue is full of must-keep events is closed, not grown", async () => {
    const l = log({ subscriberQueue: 3 });
    const slow = l.subscribe();
    const fast = l.subscribe();
    for (let n = 0; n < 4; n++) {
      l.push({ kind: "keep", n });
      await fast.next();
    }
    expect(slow.closed).toBe(true);
    expect(fast.closed).toBe(false);
    expect(l.subscriberCount).toBe(1);
    // What was queued before the close is still delivered, then the end.
    expect((await slow.next())?.map((e) => e.event.n)).toEqual([0, 1, 2]);
    expect(await slow.next()).toBeUndefined();
  });
});
