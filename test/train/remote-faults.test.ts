/**
 * A networked run survives faults injected at named protocol points (test/support/
 * fault-relay.ts): two Bun worker processes, rank 1 behind the relay, end with the weights
 * of two undisturbed local threads — the faulty participant is replaced (a stand-in, a spare,
 * or a worker the paused run waits for) and its step, handshake or evaluation redone.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { PROTOCOL_VERSION, SHARDFIT_VERSION } from "../../src/collective/wire.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "../../src/train/types.ts";
import { type Fault, type FaultRelay, faultRelay } from "../support/fault-relay.ts";
import { maxAbsDiff } from "../support/reference.ts";
import {
  coordinate,
  sameGlobalBatches,
  smallRun,
  spawnWorker,
  TOKEN,
  type WorkerProcess,
} from "../support/remote.ts";

let dataset: Dataset;
let undisturbed: TrainResult;
const workers: WorkerProcess[] = [];
const relays: FaultRelay[] = [];
beforeAll(async () => {
  dataset = await loadIdxDataset();
  undisturbed = await trainWithHooks({ ...smallRun(dataset), workers: 2 }, sameGlobalBatches());
});
afterEach(() => {
  for (const w of workers.splice(0)) w.process.kill("SIGKILL");
  for (const r of relays.splice(0)) r.close();
});

const joinArgs = (url: string, ...extra: string[]) => ["--join", url, "--token", TOKEN, ...extra];
const messages = (events: TrainEvent[]) =>
  events.flatMap((e) => (e.type === "participant" ? [e.message] : []));

/**
 * A networked run of 2 Bun workers, rank 1 through a relay injecting `fault` (if any); `react` sees
 * every event (with the coordinator's join URL) and may start more workers.
 */
async function faultyRun(
  fault: Fault | undefined,
  options: Partial<TrainOptions> & { standIns?: boolean } = {},
  react: (event: TrainEvent, joinUrl: string) => void = () => {},
  hooks = sameGlobalBatches(),
) {
  const { standIns = true, ...rest } = options;
  const events: TrainEvent[] = [];
  let url = "";
  let relay: FaultRelay | undefined;
  const result = await coordinate(
    { ...smallRun(dataset), ...rest, remote: { expectWorkers: 2, token: TOKEN, standIns } },
    hooks,
    (joinUrl) => {
      url = joinUrl;
      relay = fault && faultRelay(joinUrl, fault);
      if (relay) relays.push(relay);
      workers.push(spawnWorker("bun", joinArgs(joinUrl, "--rank", "0")));
      workers.push(spawnWorker("bun", joinArgs(relay?.joinUrl ?? joinUrl, "--rank", "1")));
    },
    (event) => {
      events.push(event);
      react(event, url);
    },
  );
  // The fault did happen, and the run still computed what undisturbed threads compute.
  await relay?.injected;
  expect(maxAbsDiff(result.params, undisturbed.params)).toBeLessThanOrEqual(1e-5);
  expect(result.history.map((h) => h.testAccuracy)).toEqual(
    undisturbed.history.map((h) => h.testAccuracy),
  );
  expect(result.history[1].trainLoss).toBeCloseTo(undisturbed.history[1].trainLoss, 5);
  return { result, events };
}

describe("values that are not finite", () => {
  test.each([
    ["every value NaN", "nan"],
    ["one value Infinity", "inf"],
  ] as const)(
    "a gradient with %s fails its participant: replaced, the step redone",
    async (_, action) => {
      const { events } = await faultyRun({ at: "gradient", action, nth: 3 });
      const recovered = events.filter((e) => e.type === "recovered");
      expect(recovered).toEqual([
        expect.objectContaining({
          epoch: 0,
          step: 2,
          workers: [1],
          reason: expect.stringContaining("non-finite gradient at step 2"),
        }),
      ]);
    },
    120_000,
  );
});

describe("a participant lost outside a step is replaced as one lost in a step", () => {
  test("cut between welcome and ready: a stand-in takes its place", async () => {
    const { events } = await faultyRun({ at: "welcome", action: "cut" });
    expect(messages(events)).toContainEqual(
      expect.stringMatching(/participant 1 \(stand-in.*takes over slots 1\.\.1/),
    );
  }, 120_000);

  test("cut between welcome and ready, --wait-for-workers: the run waits for a worker", async () => {
    let joined = false;
    const { events } = await faultyRun(
      { at: "welcome", action: "cut" },
      { standIns: false },
      (event, url) => {
        if (!joined && event.type === "participant" && event.message.includes("paused")) {
          joined = true;
          workers.push(spawnWorker("bun", joinArgs(url)));
        }
      },
    );
    expect(joined).toBe(true);
    expect(messages(events)).toContainEqual(
      expect.stringMatching(/participant 1 \(Bun.*takes over slots 1\.\.1/),
    );
  }, 120_000);

  test.each([true, false])(
    "cut during the final evaluation (stand-ins: %p): replaced, the evaluation repeated",
    async (standIns) => {
      let joined = false;
      const { events } = await faultyRun(
        { at: "evaluate", action: "cut", nth: 2 },
        { standIns },
        (event, url) => {
          if (!joined && event.type === "participant" && event.message.includes("paused")) {
            joined = true;
            workers.push(spawnWorker("bun", joinArgs(url)));
          }
        },
      );
      expect(joined).toBe(!standIns);
      expect(messages(events)).toContainEqual(
        expect.stringMatching(/participant 1 .*lost \(disconnected.*\); replacing it/),
      );
      // The final evaluation is complete: every test sample is in the confusion matrix.
      const evaluation = events.find((e) => e.type === "evaluation");
      if (evaluation?.type !== "evaluation") throw new Error("no evaluation event");
      expect(evaluation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(600);
    },
    120_000,
  );

  test("hello and never ready: closed at the handshake deadline, a spare takes over", async () => {
    let spare = false;
    const { events } = await faultyRun(
      { at: "ready", action: "swallow" },
      {},
      (event, url) => {
        if (!spare && event.type === "participant" && event.message.includes("joined (2/2)")) {
          spare = true;
          workers.push(spawnWorker("bun", joinArgs(url)));
        }
      },
      { ...sameGlobalBatches(), remoteTimeouts: { handshakeMs: 8000 } },
    );
    const lines = messages(events);
    expect(lines).toContainEqual(
      expect.stringContaining("not ready within 8000 ms of its welcome"),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/participant 1 \(Bun.*takes over slots 1\.\.1/),
    );
  }, 120_000);
});

describe("the coordinator checks what workers claim", () => {
  test("an epoch's end claimed without its gradients fails that participant", async () => {
    const { events } = await faultyRun({ at: "epoch", action: "claimEnd" });
    expect(events.filter((e) => e.type === "recovered")).toEqual([
      expect.objectContaining({
        epoch: 0,
        step: 0,
        workers: [1],
        reason: expect.stringContaining("claimed the end of the attempt after 0 of its 8 steps"),
      }),
    ]);
  }, 120_000);

  test("a spare's statistics are refused and count nowhere", async () => {
    let answer: Promise<{ code: number; reason: string }> | undefined;
    const { result, events } = await faultyRun(undefined, {}, (event, url) => {
      if (answer || event.type !== "participant" || !event.message.includes("joined (2/2)")) {
        return;
      }
      // An authenticated spare claims perfect epochs, again and again until it is closed
      // (only a claim during an attempt can be told from a late answer to an old one).
      answer = new Promise((resolve) => {
        const ws = new WebSocket(url);
        let timer: ReturnType<typeof setInterval> | undefined;
        ws.onopen = () => {
          ws.send(
            JSON.stringify({
              ...{
                type: "hello",
                protocol: PROTOCOL_VERSION,
                version: SHARDFIT_VERSION,
                token: TOKEN,
              },
              ...{ threads: 1, runtime: "liar" },
            }),
          );
          let sent = 0;
          timer = setInterval(() => {
            if (sent++ > 3000) return clearInterval(timer);
            for (const attempt of [1, 2]) {
              const stats = [0, 1000, 1000];
              ws.send(JSON.stringify({ type: "epochEnd", attempt, ok: true, stats }));
            }
          }, 5);
        };
        ws.onclose = (e) => {
          clearInterval(timer);
          resolve({ code: e.code, reason: e.reason });
        };
      });
    });
    expect(await answer).toEqual({
      code: 4002,
      reason: `"epochEnd" from a worker that is not training`,
    });
    expect(result.network?.participants.map((p) => p.label)).toEqual([
      expect.stringContaining("Bun"),
      expect.stringContaining("Bun"),
    ]);
    const reports = events.flatMap((e) => (e.type === "participants" ? e.participants : []));
    expect(reports.some((p) => p.label.includes("liar"))).toBe(false);
  }, 120_000);
});
