import { expect, test } from "bun:test";
import { OneAtATime } from "../../src/server/one-at-a-time.ts";
import { RequestError } from "../../src/server/predict-input.ts";

test("tasks run one at a time in arrival order; past the waiting bound a task is a 503", async () => {
  const gate = new OneAtATime(2);
  const log: string[] = [];
  let release!: () => void;
  const first = gate.run(async () => {
    log.push("first starts");
    await new Promise<void>((resolve) => (release = resolve));
    log.push("first ends");
  });
  await new Promise((resolve) => setTimeout(resolve, 5)); // the first has started: it no longer waits
  const failing = gate.run(async () => {
    log.push("second runs");
    throw new Error("second fails");
  });
  const third = gate.run(async () => log.push("third runs"));
  let refused: unknown;
  try {
    gate.run(async () => log.push("never"));
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(RequestError);
  expect((refused as RequestError).status).toBe(503);
  expect(log).toEqual(["first starts"]);
  release();
  await first;
  await expect(failing).rejects.toThrow("second fails");
  await third;
  expect(log).toEqual(["first starts", "first ends", "second runs", "third runs"]);
  // The queue drained: a new task runs.
  expect(await gate.run(async () => 42)).toBe(42);
});
