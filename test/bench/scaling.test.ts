import { describe, expect, test } from "bun:test";
import { bestMachineCount, stepModel } from "../../bench/scaling.ts";

const inputs = {
  computeMs: 30,
  reduceFixedMs: 1,
  reducePerMachineMs: 2,
  gradientBytes: 1_000_000,
  weightsBytes: 1_500_000,
  rttMs: 0,
  batch: 128,
};

describe("scaling model", () => {
  test("a step on 2 machines over 1 Gbit/s, by hand", () => {
    // 1 Gbit/s = 125,000 bytes/ms: 2 machines × (1 MB + 1.5 MB) = 40 ms on the wire.
    const row = stepModel(inputs, 2, 1e9);
    expect(row.computeMs).toBe(15);
    expect(row.networkMs).toBeCloseTo(40, 10);
    expect(row.reduceMs).toBe(5);
    expect(row.samplesPerSecond).toBeCloseTo(128_000 / 60, 6);
  });

  test("the best machine count is where compute/M + (wire + reduce)·M is least", () => {
    // 10 Gbit/s: 2 frames per machine cost 1 ms each, plus 2 ms reduce per machine:
    // 30/M + 4M (+1) → M = 3 (23 ms) beats M = 2 (24 ms) and M = 4 (24.5 ms).
    expect(bestMachineCount(inputs, 1e10)).toBe(3);
    // 1 Gbit/s: 30/M + 42M → one machine.
    expect(bestMachineCount(inputs, 1e9)).toBe(1);
  });
});
