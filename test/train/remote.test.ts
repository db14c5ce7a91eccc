import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import {
  CLOSE,
  frameBytes,
  HEADER_BYTES,
  PROTOCOL_VERSION,
  SHARDFIT_VERSION,
} from "../../src/collective/wire.ts";
import type { Dataset } from "../../src/core/data/dataset.ts";
import { initParams } from "../../src/core/model/init.ts";
import { RunState } from "../../src/dashboard/run-state.ts";
import type { RunDashboard } from "../../src/train/dashboard.ts";
import { trainWithHooks } from "../../src/train/testing.ts";
import type { TrainEvent, TrainOptions, TrainResult } from "../../src/train/types.ts";
import { maxAbsDiff } from "../support/reference.ts";
import {
  coordinate,
  sameGlobalBatches,
  smallRun,
  spawnWorker,
  TOKEN,
  type WorkerProcess,
} from "../support/remote.ts";

/**
 * Networked runs on loopback: this process is the coordinator, the workers are real Bun and
 * Deno processes started with `src/cli/worker.ts`, as a user starts them.
 */
let dataset: Dataset;
let local: TrainResult;
const localEvents: TrainEvent[] = [];
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  dataset = await loadIdxDataset();
  local = await trainWithHooks(
    { ...smallRun(dataset), workers: 2, onProgress: (e) => localEvents.push(e) },
    sameGlobalBatches(),
  );
});
afterEach(() => {
  for (const w of workers.splice(0)) w.process.kill("SIGKILL");
});

const joinArgs = (url: string, ...extra: string[]) => ["--join", url, "--token", TOKEN, ...extra];
const remote = (expectWorkers: number) => ({ expectWorkers, token: TOKEN });
const PARAMS = 407_050;

describe("worker processes over WebSocket", () => {
  test("a Bun and a Deno worker process compute what 2 local threads compute", async () => {
    const events: TrainEvent[] = [];
    let dashboard: RunDashboard | undefined;
    const result = await coordinate(
      { ...smallRun(dataset), remote: remote(2), dashboard: true },
      { ...sameGlobalBatches(), onDashboard: (_app, d) => (dashboard = d) },
      (url) => {
        workers.push(spawnWorker("bun", joinArgs(url, "--rank", "0")));
        workers.push(spawnWorker("deno", joinArgs(url, "--rank", "1")));
      },
      (event) => events.push(event),
    );
    // Progress shows each participant after every epoch: where it runs, its step split.
    const reports = events.flatMap((e) => (e.type === "participants" ? [e] : []));
    expect(reports.map((r) => r.epoch)).toEqual([0, 1]);
    expect(reports[1].participants).toEqual([
      expect.objectContaining({
        label: expect.stringMatching(/^participant 0 \(Bun .*127\.0\.0\.1:\d+\)$/),
      }),
      expect.objectContaining({
        label: expect.stringMatching(/^participant 1 \(Deno .*127\.0\.0\.1:\d+\)$/),
      }),
    ]);
    for (const p of reports[1].participants) {
      expect(p.computeMs).toBeGreaterThan(0);
      expect(p.exchangeMs).toBeGreaterThan(0);
    }
    // The final evaluation travels back with per-sample predictions: the same confusion
    // matrix and most confident mistakes as the local run's.
    const evaluation = events.find((e) => e.type === "evaluation");
    const localEvaluation = localEvents.find((e) => e.type === "evaluation");
    expect(localEvaluation).toBeDefined();
    expect(evaluation).toEqual(localEvaluation);
    // The dashboard's model of the run, from its event history, holds the same participants.
    const page = new RunState();
    for (const entry of dashboard?.log.history() ?? []) page.apply(entry);
    expect(page.participants).toEqual(reports[1].participants);
    expect(maxAbsDiff(result.params, local.params)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(result.params, initParams(result.spec, 1))).toBeGreaterThan(5e-3);
    expect(result.history[1].testAccuracy).toBe(local.history[1].testAccuracy);
    expect(result.history[1].trainLoss).toBeCloseTo(local.history[1].trainLoss, 5);
    // Per step: one gradient frame in and one weights frame out per participant. The gradient
    // leaves out the first layer's rows of pixels no sample of the participant's batch set
    // (row-masked frames), so it is smaller than dense, but not below the rest of the model.
    expect(result.network?.bytesInPerStep).toBeLessThan(2 * frameBytes(PARAMS));
    expect(result.network?.bytesInPerStep).toBeGreaterThan(2 * frameBytes(PARAMS - 784 * 512));
    expect(result.network?.steps).toBe(8); // the last epoch, as the profile describes
    expect(result.network?.participants.map((p) => p.label)).toEqual([
      expect.stringContaining("Bun"),
      expect.stringContaining("Deno"),
    ]);
  }, 120_000);

  test("one worker process with --threads 2 reduces on shared memory and sends one gradient", async () => {
    const result = await coordinate(
      { ...smallRun(dataset), remote: remote(1) },
      sameGlobalBatches(),
      (url) => workers.push(spawnWorker("bun", joinArgs(url, "--threads", "2"))),
    );
    expect(maxAbsDiff(result.params, local.params)).toBeLessThanOrEqual(1e-5);
    expect(result.workers).toBe(2);
    expect(result.network?.bytesInPerStep).toBeLessThan(frameBytes(PARAMS));
  }, 120_000);

  const FAULT_SAMPLES = 4000;

  /**
   * A 2-thread local run, and a networked run of 2 Bun worker processes (ranks 0 and 1) that
   * `disturb` interferes with as events arrive; the two should end with the same weights.
   */
  async function disturbedRun(
    remoteOptions: Partial<TrainOptions>,
    disturb: (event: TrainEvent, joinUrl: string) => void,
  ) {
    const run = smallRun(dataset, FAULT_SAMPLES);
    const undisturbed = await trainWithHooks(
      { ...run, workers: 2 },
      sameGlobalBatches(FAULT_SAMPLES),
    );
    const events: TrainEvent[] = [];
    let url = "";
    const result = await coordinate(
      { ...run, ...remoteOptions },
      sameGlobalBatches(FAULT_SAMPLES),
      (joinUrl) => {
        url = joinUrl;
        workers.push(spawnWorker("bun", joinArgs(url, "--rank", "0")));
        workers.push(spawnWorker("bun", joinArgs(url, "--rank", "1")));
      },
      (event) => {
        events.push(event);
        disturb(event, url);
      },
    );
    return { undisturbed, result, events };
  }

  /**
   * A progress event in the middle of an epoch: a fault then lands inside a step (an epoch's
   * last progress event comes after its last step, when a loss is an evaluation's).
   */
  const midEpoch = (event: TrainEvent) =>
    event.type === "step" && event.step >= 2 && event.step < event.steps - 2;

  test("a worker process killed mid-epoch: a stand-in redoes its part, same weights", async () => {
    let killed = false;
    const { undisturbed, result, events } = await disturbedRun({ remote: remote(2) }, (event) => {
      if (!killed && midEpoch(event)) {
        killed = true;
        workers[1].process.kill("SIGKILL");
      }
    });
    expect(killed).toBe(true);
    const recovered = events.filter((e) => e.type === "recovered");
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ workers: [1] });
    expect(maxAbsDiff(result.params, undisturbed.params)).toBeLessThanOrEqual(1e-5);
    expect(result.history[1].testAccuracy).toBe(undisturbed.history[1].testAccuracy);
  }, 180_000);

  test("a worker process that stops answering misses the step deadline and is replaced", async () => {
    let stopped = false;
    const { undisturbed, result, events } = await disturbedRun(
      { remote: remote(2), stepTimeoutMs: 3000 },
      (event) => {
        if (!stopped && midEpoch(event)) {
          stopped = true;
          workers[0].process.kill("SIGSTOP"); // alive, connected, silent
        }
      },
    );
    expect(stopped).toBe(true);
    const recovered = events.filter((e) => e.type === "recovered");
    expect(recovered).toEqual([
      expect.objectContaining({
        workers: [0],
        reason: expect.stringContaining("no step finished within 3000 ms"),
      }),
    ]);
    expect(maxAbsDiff(result.params, undisturbed.params)).toBeLessThanOrEqual(1e-5);
  }, 180_000);

  test("without stand-ins the run pauses until a worker joins to take over", async () => {
    let killed = false;
    const { undisturbed, result, events } = await disturbedRun(
      { remote: { ...remote(2), standIns: false } },
      (event, url) => {
        if (!killed && midEpoch(event)) {
          killed = true;
          workers[0].process.kill("SIGKILL");
        }
        // As a Kubernetes Job would: a new pod with the lost index joins.
        if (event.type === "participant" && event.message.includes("paused")) {
          workers.push(spawnWorker("deno", joinArgs(url, "--rank", "0")));
        }
      },
    );
    const messages = events.flatMap((e) => (e.type === "participant" ? [e.message] : []));
    expect(messages).toContainEqual(
      expect.stringContaining(
        "paused: waiting for a worker with 1 thread(s) to take over participant 0",
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/participant 0 \(Deno .*takes over slots 0\.\.0/),
    );
    expect(maxAbsDiff(result.params, undisturbed.params)).toBeLessThanOrEqual(1e-5);
  }, 180_000);

  test("a networked run checkpoints and resumes: 1 + 1 epochs equal 2 local ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardfit-remote-"));
    try {
      const options = { ...smallRun(dataset), checkpointDir: dir, remote: remote(1) };
      const start = (url: string) =>
        workers.push(spawnWorker("bun", joinArgs(url, "--threads", "2")));
      await coordinate({ ...options, epochs: 1 }, sameGlobalBatches(), start);
      let epochsRun = 0;
      const resumed = await coordinate(
        { ...options, resume: true },
        sameGlobalBatches(),
        start,
        (e) => {
          if (e.type === "epoch") epochsRun++;
        },
      );
      expect(epochsRun).toBe(1); // the second call trained only the second epoch
      expect(resumed.history).toHaveLength(2);
      expect(maxAbsDiff(resumed.params, local.params)).toBeLessThanOrEqual(1e-5);
      expect(resumed.history[1].testAccuracy).toBe(local.history[1].testAccuracy);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  test("a spare that joined takes over a killed worker's slots, same weights", async () => {
    const samples = 4000;
    // Three epochs: however late the spare's runtime starts, a step follows its joining.
    const run = { ...smallRun(dataset, samples), epochs: 3 };
    const undisturbed = await trainWithHooks({ ...run, workers: 2 }, sameGlobalBatches(samples));
    const events: TrainEvent[] = [];
    let killed = false;
    let url = "";
    const result = await coordinate(
      { ...run, remote: remote(2) },
      sameGlobalBatches(samples),
      (joinUrl) => {
        url = joinUrl;
        workers.push(spawnWorker("bun", joinArgs(url, "--rank", "0")));
        workers.push(spawnWorker("bun", joinArgs(url, "--rank", "1")));
      },
      (event) => {
        events.push(event);
        // Once both have joined, a third worker (Deno) joins as a spare; then rank 1 dies
        // mid-epoch (an epoch's last progress event comes after its last step).
        if (event.type === "participant" && event.message.includes("joined (2/2)")) {
          workers.push(spawnWorker("deno", joinArgs(url)));
        }
        const spareIn = events.some(
          (e) => e.type === "participant" && e.message.includes("joined as a spare"),
        );
        if (!killed && spareIn && event.type === "step" && event.step < event.steps - 2) {
          killed = true;
          workers[1].process.kill("SIGKILL");
        }
      },
    );
    expect(killed).toBe(true);
    expect(events.filter((e) => e.type === "recovered")).toHaveLength(1);
    const takeover = events.find(
      (e) => e.type === "participant" && e.message.includes("takes over"),
    );
    expect(takeover).toMatchObject({ message: expect.stringContaining("Deno") });
    expect(result.network?.participants[1].label).toContain("Deno");
    expect(maxAbsDiff(result.params, undisturbed.params)).toBeLessThanOrEqual(1e-5);
  }, 180_000);
});

describe("joining is refused with a reason", () => {
  /** Opens a raw socket, runs `act` once open, resolves with what came back and the close. */
  function probe(url: string, act: (ws: WebSocket) => void) {
    return new Promise<{ messages: string[]; code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(url);
      const messages: string[] = [];
      ws.onopen = () => act(ws);
      ws.onmessage = (e) => messages.push(String(e.data));
      ws.onclose = (e) => resolve({ messages, code: e.code, reason: e.reason });
    });
  }
  const hello = (fields: Record<string, unknown>) =>
    JSON.stringify({
      type: "hello",
      protocol: PROTOCOL_VERSION,
      version: SHARDFIT_VERSION,
      token: TOKEN,
      threads: 1,
      runtime: "probe",
      ...fields,
    });

  test("wrong token, wrong version, oversized and malformed frames; then a real worker trains", async () => {
    const seen: Record<string, Awaited<ReturnType<typeof probe>>> = {};
    let badWorker: WorkerProcess | undefined;
    const result = await coordinate(
      { ...smallRun(dataset), epochs: 1, remote: remote(1) },
      sameGlobalBatches(),
      async (url) => {
        seen.token = await probe(url, (ws) => ws.send(hello({ token: "not-the-token" })));
        seen.version = await probe(url, (ws) => ws.send(hello({ version: "0.0.1" })));
        seen.protocol = await probe(url, (ws) => ws.send(hello({ protocol: 1 })));
        seen.oversized = await probe(url, (ws) => ws.send(new Uint8Array(frameBytes(PARAMS) + 4)));
        seen.malformed = await probe(url, (ws) => ws.send(new Uint8Array(HEADER_BYTES + 8)));
        seen.json = await probe(url, (ws) => ws.send("{ not json"));
        badWorker = spawnWorker("deno", ["--join", url, "--token", "wrong-token"]);
        expect(await badWorker.process.exited).toBe(1);
        workers.push(spawnWorker("bun", joinArgs(url)));
      },
    );
    expect(seen.token.code).toBe(CLOSE.refused);
    expect(JSON.parse(seen.token.messages[0])).toEqual({
      type: "refused",
      reason: "wrong run token",
    });
    expect(seen.version.code).toBe(CLOSE.refused);
    expect(seen.version.reason).toContain("version mismatch: the worker runs shardfit 0.0.1");
    // A worker of the same release before row-masked gradient frames (protocol 1).
    expect(seen.protocol.code).toBe(CLOSE.refused);
    expect(JSON.parse(seen.protocol.messages[0]).reason).toBe(
      `version mismatch: the worker runs shardfit ${SHARDFIT_VERSION} (protocol 1), this coordinator runs ${SHARDFIT_VERSION} (protocol ${PROTOCOL_VERSION})`,
    );
    expect(seen.oversized.code).toBe(CLOSE.tooBig);
    expect(seen.malformed.code).toBe(CLOSE.protocol);
    expect(seen.malformed.reason).toContain("binary frame of 72 bytes; a frame of this run is");
    expect(seen.json.code).toBe(CLOSE.protocol);
    expect(seen.json.reason).toBe("text frame is not JSON");
    expect(badWorker?.output()).toContain("the coordinator refused this worker: wrong run token");
    expect(result.history).toHaveLength(1);
  }, 120_000);
});
