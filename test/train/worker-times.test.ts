import { expect, test } from "bun:test";
import { allocateTelemetry, Telemetry, TIMING } from "../../src/collective/telemetry.ts";
import { WorkerTimesMeter } from "../../src/train/worker-times.ts";

/** Adds `steps` steps of the given per-step phase times to worker w's timers. */
function run(
  t: Telemetry,
  w: number,
  steps: number,
  ms: Partial<Record<keyof typeof TIMING, number>>,
) {
  const row = t.timingsRow(w);
  for (const [field, value] of Object.entries(ms)) {
    row[TIMING[field as keyof typeof TIMING]] += steps * (value as number);
  }
  row[TIMING.steps] += steps;
}

test("per-tick means: compute = forward/backward + update, barrier = both waits", () => {
  const t = new Telemetry(allocateTelemetry(2));
  run(t, 0, 4, { compute: 3, update: 1, gradBarrier: 0.5, updateBarrier: 0.25 });
  const meter = new WorkerTimesMeter(t);
  // Steps before the meter started are not counted.
  run(t, 0, 5, { compute: 4, update: 1, gradBarrier: 2, updateBarrier: 0.5 });
  run(t, 1, 5, { compute: 6, update: 1, gradBarrier: 0, updateBarrier: 0.5 });
  expect(meter.sample()).toEqual([
    { worker: 0, computeMs: 5, barrierMs: 2.5, steps: 5 },
    { worker: 1, computeMs: 7, barrierMs: 0.5, steps: 5 },
  ]);
  // The next sample covers only what happened since.
  run(t, 1, 2, { compute: 2, update: 0.5, gradBarrier: 1, updateBarrier: 0 });
  const [only] = meter.sample();
  expect(only).toEqual({ worker: 1, computeMs: 2.5, barrierMs: 1, steps: 2 });
  expect(meter.sample()).toEqual([]);
});

test("a worker whose timers did not move (only steps counted) is left out", () => {
  const t = new Telemetry(allocateTelemetry(1));
  const meter = new WorkerTimesMeter(t);
  t.timingsRow(0)[TIMING.steps] = 10;
  expect(meter.sample()).toEqual([]);
});
