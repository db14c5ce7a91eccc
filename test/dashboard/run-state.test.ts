/** The dashboard's run model, driven by a scripted run's events (the page renders exactly this). */
import { describe, expect, test } from "bun:test";
import { Rng } from "../../src/core/rng.ts";
import { ema } from "../../src/dashboard/curves.ts";
import type { DashboardEvent } from "../../src/dashboard/events.ts";
import { MAX_LINES, MAX_STEP_ROWS, RunState, SMOOTHING } from "../../src/dashboard/run-state.ts";
import { epochEvent, RUN, startEvents, stepEvent } from "../support/scripted-run.ts";

/** Feeds events one second apart (seq 1, 2, …), as the event log would number them. */
function feed(state: RunState, events: DashboardEvent[], t0 = 0): void {
  for (const event of events) {
    state.apply({ seq: state.lastSeq + 1, time: (t0 + state.lastSeq + 1) * 1000, event });
  }
}

function steps(epoch: number, from: number, to: number, stride = 8): DashboardEvent[] {
  const rng = Rng.fromSeed(epoch);
  const out: DashboardEvent[] = [];
  for (let s = from; s <= to; s += stride) out.push(stepEvent(rng, epoch, s));
  return out;
}

describe("RunState", () => {
  test("before start: waiting, no progress, no ETA", () => {
    const state = new RunState();
    expect(state.status).toBe("waiting");
    expect(state.fraction).toBe(0);
    expect(state.eta()).toBeNull();
  });

  test("step events become curve points at fractional epochs, smoothed by the EMA", () => {
    const state = new RunState();
    const events = steps(0, 8, 200);
    feed(state, [...startEvents(10_000), ...events]);
    expect(state.status).toBe("training");
    expect(state.rows.map((r) => r.x)).toEqual(
      events.map((e) => (e.type === "step" ? e.step / RUN.steps : -1)),
    );
    const losses = events.map((e) => (e.type === "step" ? e.loss : Number.NaN));
    expect(state.rows.map((r) => r.loss)).toEqual(losses);
    const smooth = ema(losses, SMOOTHING);
    state.rows.forEach((r, i) => {
      expect(r.lossSmooth as number).toBeCloseTo(smooth[i] as number, 12);
    });
    expect(state.done).toBe(200);
    expect(state.fraction).toBeCloseTo(200 / (3 * RUN.steps), 12);
  });

  test("progress, ETA from the first progress seen, epochs, marks and the end", () => {
    const state = new RunState();
    feed(state, startEvents(10_000));
    // 1 s apart: the first step event (done 8) at t=3 s, the 58th (done 464) at t=60 s.
    feed(state, steps(0, 8, 464));
    expect(state.done).toBe(464);
    const perStep = (60 - 3) / (464 - 8);
    expect(state.eta()).toBeCloseTo((3 * RUN.steps - 464) * perStep, 9);

    feed(state, [epochEvent(0), { type: "checkpoint", dir: "ck", epoch: 1 }]);
    expect(state.done).toBe(RUN.steps);
    expect(state.epochs().map((m) => m.epoch)).toEqual([1]);
    const epochRow = state.rows.at(-1)!;
    expect(epochRow.x).toBe(1);
    expect(epochRow.loss).toBeNull();
    expect(epochRow.epoch?.testAccuracy).toBe(0.9641);

    feed(state, [{ type: "recovered", epoch: 1, step: 117, workers: [1], reason: "exited" }]);
    expect(state.marks).toEqual([
      { x: 1, kind: "checkpoint" },
      { x: 1 + 117 / RUN.steps, kind: "recovered" },
    ]);
    expect(state.timeline.map((t) => t.kind)).toEqual(["epoch", "checkpoint", "recovered"]);
    expect(state.timeline[2].text).toBe("epoch 2, step 118: worker 1 replaced (exited)");

    feed(state, [{ type: "end", status: "failed", message: "3 worker failures in a row" }]);
    expect(state.status).toBe("failed");
    expect(state.endMessage).toBe("3 worker failures in a row");
    expect(state.eta()).toBeNull();
  });

  test("a resumed run (first step in epoch 2) estimates from its own progress", () => {
    const state = new RunState();
    feed(state, startEvents(10_000));
    feed(state, steps(2, 8, 88, 40)); // done = 946, 986, 1026 at t = 3, 4, 5 s
    expect(state.eta()).toBeCloseTo((3 * RUN.steps - 1026) * (2 / 80), 9);
  });

  test("a repeated seq (a reconnect replaying what the page has) changes nothing", () => {
    const state = new RunState();
    const [start] = startEvents(10_000);
    expect(state.apply({ seq: 1, time: 0, event: start })).toBe(true);
    const step = steps(0, 8, 8)[0];
    expect(state.apply({ seq: 2, time: 1000, event: step })).toBe(true);
    expect(state.apply({ seq: 2, time: 1000, event: step })).toBe(false);
    expect(state.apply({ seq: 1, time: 0, event: start })).toBe(false);
    expect(state.rows).toHaveLength(1);
  });

  test("rows stay sorted by x even if an event arrives out of order", () => {
    const state = new RunState();
    feed(state, startEvents(10_000));
    const [a, b, c] = steps(0, 8, 24);
    feed(state, [a, c, b]);
    expect(state.rows.map((r) => r.x * RUN.steps)).toEqual(
      [8, 16, 24].map((v) => expect.closeTo(v, 9)),
    );
  });

  test("a page open for a long run stays bounded: step rows halved, epochs and the newest kept", () => {
    const state = new RunState();
    feed(state, startEvents(10_000));
    for (let epoch = 0; epoch < 6; epoch++) {
      // Two passes over each epoch's steps: more step points than one page keeps.
      feed(state, steps(epoch, 1, RUN.steps - 1, 1));
      feed(state, steps(epoch, 1, RUN.steps - 1, 1));
      const end = epochEvent(epoch % 3) as Extract<DashboardEvent, { type: "epoch" }>;
      feed(state, [{ ...end, metrics: { ...end.metrics, epoch: epoch + 1 } }]);
      for (let i = 0; i < 200; i++) {
        feed(state, [{ type: "recovered", epoch, step: i, workers: [1], reason: "exited" }]);
      }
    }
    feed(state, steps(6, 1, 5, 1));
    const stepRows = state.rows.filter((r) => !r.epoch);
    expect(stepRows.length).toBeLessThanOrEqual(MAX_STEP_ROWS);
    expect(stepRows.length).toBeGreaterThan(MAX_STEP_ROWS / 4);
    expect(state.epochs().map((m) => m.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(state.rows.at(-1)?.x).toBe(6 + 5 / RUN.steps);
    const xs = state.rows.map((r) => r.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(state.timeline).toHaveLength(MAX_LINES);
    expect(state.marks).toHaveLength(MAX_LINES);
    expect(state.timeline.at(-1)?.text).toBe("epoch 6, step 200: worker 1 replaced (exited)");
  });
});
