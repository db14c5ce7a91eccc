import { AbortedError } from "../../collective/collective.ts";
import { gradientRows } from "../../collective/gradient-frame.ts";
import { allocateTelemetry, STAT, Telemetry, TIMING } from "../../collective/telemetry.ts";
import {
  CLOSE,
  decodePredictions,
  FrameError,
  printable,
  type WorkerMessage,
} from "../../collective/wire.ts";
import type { WorkerPlan } from "../../core/data/plan.ts";
import { modelLayout } from "../../core/model/sequential.ts";
import type { OptimizerSpec } from "../../core/optim/optimizer.ts";
import type { EvalOptions, EvalResult } from "../../worker/trainer.ts";
import { raceAbort } from "../cancel.ts";
import type { EpochAttempt, JoinInfo, NetworkProfile, Participants } from "../participants.ts";
import { MAX_CONSECUTIVE_FAILURES } from "../recovery.ts";
import { superviseAttempt } from "../steps.ts";
import { Admission } from "./admission.ts";
import { type Attempt, checkEvaluation, checkStats, seenAfter } from "./claims.ts";
import {
  type Connection,
  deferred,
  type EpochEnd,
  type Evaluated,
  type Evaluation,
  type Link,
  type Peer,
  type PeerEvents,
  type StandIn,
} from "./peer.ts";
import { type Stats, StepReducer } from "./reduce.ts";

export interface RemoteOptions {
  /** Participants to wait for before the run starts. */
  readonly expect: number;
  readonly token: string;
  readonly paramCount: number;
  readonly optimizer: OptimizerSpec;
  /** The run's: aborting it tells every worker to stop and ends every wait. */
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  /** Replaces lost participants when no spare has joined; without it the run waits for one. */
  readonly standIn?: StandIn;
  /** A connection that has not said hello by then is closed (default 10 s). */
  readonly helloTimeoutMs?: number;
  /** A participant not ready by then after its welcome is closed and replaced (default 120 s). */
  readonly handshakeTimeoutMs?: number;
}

/**
 * Worker processes joined over WebSocket, each computing a contiguous range of slots, driven
 * through the run's phases: admission (admission.ts), the welcome until each is ready, the
 * epochs' steps (reduced by reduce.ts, supervised as local threads are), evaluation. A
 * participant lost in any phase is replaced (admission.ts says by whom) and the phase's
 * request repeated. What participants claim is checked: statistics only from those training,
 * consistent with their plans, and an epoch ends only after every step's gradients arrived.
 */
export class RemoteParticipants implements Participants {
  readonly telemetry = new Telemetry(allocateTelemetry(1));
  private readonly admission: Admission;
  private readonly reducer: StepReducer;
  private join?: JoinInfo;
  private attempt = 0;
  private current?: Attempt;
  /** Participants asked to evaluate that have not answered. */
  private readonly asked = new Set<Peer>();
  /** The split the pending evaluation asked for: its counts are checked against it. */
  private askedSplit: "train" | "test" = "test";
  private lastTensors?: number[];

  constructor(readonly o: RemoteOptions) {
    const events: PeerEvents = {
      message: (peer, message) => this.onMessage(peer, message),
      gradient: (peer, data) => this.reducer.gradient(peer, data),
      closed: (peer) => this.admission.left(peer),
      dropped: (peer, reason) => this.admission.dropped(peer, reason),
    };
    this.admission = new Admission(o, events);
    this.reducer = new StepReducer(o.paramCount, o.optimizer, (peer, stats) =>
      this.account(peer, stats, "exactly"),
    );
    o.signal.addEventListener(
      "abort",
      () => {
        for (const p of this.admission.all()) p.send({ type: "abort" });
      },
      { once: true },
    );
  }

  /** A new connection from the transport. */
  connect(link: Link): Connection {
    return this.admission.connect(link);
  }

  gather(): Promise<number> {
    return this.admission.gather();
  }

  async start(join: JoinInfo): Promise<void> {
    this.join = join;
    this.reducer.setRows(gradientRows(modelLayout(join.spec)));
    this.admission.started = true;
    await raceAbort(Promise.all(this.peers.map((p) => this.welcomeAt(p.index))), this.o.signal);
  }

  async replace(slots: number[]): Promise<void> {
    const lost = this.peers.filter((p) => p.slots.some((s) => slots.includes(s)));
    for (const old of lost) {
      old.link.close(CLOSE.protocol, "replaced after a failed step");
      await this.admission.replace(old);
      await raceAbort(this.welcomeAt(old.index), this.o.signal);
    }
  }

  /** Participants that left between epochs are replaced before the next phase needs them. */
  private async replaceGone(): Promise<void> {
    const gone = this.peers.filter((p) => p.gone.outcome);
    if (gone.length > 0) await this.replace(gone.flatMap((p) => p.slots));
  }

  async runEpoch({ plans, fromStep, stepTimeoutMs }: EpochAttempt): Promise<void> {
    await this.replaceGone();
    const peers = [...this.peers];
    // The profile describes the last epoch, as train()'s does (the first includes warm-up).
    if (fromStep === 0) this.reducer.resetProfile(peers);
    const id = ++this.attempt;
    const steps = plans[0].counts.length - fromStep;
    const startStep = this.reducer.stepsDone;
    this.current = {
      ...{ id, peers, startStep, endStep: startStep + steps },
      expectedSeen: peers.map((p) => seenAfter(plans, p.slots, fromStep, steps)),
    };
    for (const p of peers) {
      p.latest = [0, 0, 0];
      p.epochEnd = deferred<EpochEnd>();
    }
    this.reducer.begin(id, peers);
    for (const p of peers) {
      p.send({
        type: "epoch",
        attempt: id,
        plans: plansOf(plans, p.firstSlot, p.threads),
        fromStep,
        globalStep: startStep,
      });
    }
    const attempt = new AbortController();
    attempt.signal.addEventListener("abort", () => {
      for (const p of peers) p.send({ type: "abort" });
    });
    try {
      await superviseAttempt({
        parts: peers.map((p) => ({
          slots: p.slots,
          label: p.label,
          finished: Promise.race([p.epochEnd.promise.then(epochOutcome), p.gone.promise]),
          waiting: () => this.reducer.sent(p),
        })),
        stepsDone: () => this.reducer.stepsDone,
        stepTimeoutMs,
        signal: this.o.signal,
        attempt,
      });
    } finally {
      this.reducer.end();
      this.current = undefined;
    }
  }

  async evaluate(options: EvalOptions = {}): Promise<EvalResult[]> {
    await this.replaceGone();
    const all = await this.each((p) => {
      p.evaluated = deferred<Evaluation>();
      this.asked.add(p);
      this.askedSplit = options.split ?? "test";
      p.send({
        type: "evaluate",
        predictions: options.predictions === true,
        split: options.split,
        metrics: options.metrics && [...options.metrics],
      });
      return p.evaluated.promise;
    });
    this.lastTensors = all.map((e) => e.tensors);
    return all.flatMap((e) => e.results);
  }

  /** The counts the last evaluation reported (it asks every participant for both). */
  async tensorCount(): Promise<number[]> {
    if (!this.lastTensors) await this.evaluate();
    const counts = this.lastTensors ?? [];
    this.lastTensors = undefined;
    return counts;
  }

  get stateNames(): readonly string[] {
    return this.reducer.stateNames;
  }

  get stepsDone(): number {
    return this.reducer.stepsDone;
  }

  params(): Float32Array {
    return this.reducer.params();
  }

  state(): readonly Float32Array[] {
    return this.reducer.state();
  }

  setOptimizer(spec: OptimizerSpec): Promise<void> {
    this.reducer.setOptimizer(spec);
    return Promise.resolve();
  }

  load(stepsDone: number, params: Float32Array, state: readonly Float32Array[]): void {
    this.reducer.load(stepsDone, params, state);
  }

  async close(): Promise<void> {
    this.admission.close();
    for (const p of this.admission.all()) {
      p.send({ type: "bye" });
      p.link.close(CLOSE.done, "run finished");
    }
  }

  /** Bytes and times per step of the last epoch's networked steps. */
  network(): NetworkProfile {
    return this.reducer.profile(this.peers);
  }

  private get peers(): Peer[] {
    return this.admission.peers;
  }

  /** Handshake and control messages. */
  private onMessage(peer: Peer, message: WorkerMessage): void {
    if (message.type === "hello") {
      this.admission.hello(peer, message);
    } else if (!peer.hello) {
      throw new FrameError(`"${message.type}" before "hello"`);
    } else if (message.type === "ready") {
      if (message.paramCount !== this.o.paramCount) {
        throw new Error(
          `model mismatch: the worker built ${message.paramCount} parameters, this run has ${this.o.paramCount}`,
        );
      }
      peer.ready.resolve();
    } else if (message.type === "epochEnd") {
      this.onEpochEnd(peer, message);
    } else {
      if (!this.asked.delete(peer) || !this.join) {
        throw new FrameError(`"evaluated" without a request`);
      }
      checkEvaluation(peer, message, this.askedSplit, this.join.slotCount);
      // Decoded now: predictions that do not decode are this peer's protocol error.
      peer.evaluated.resolve({
        results: message.results.map(evalResultOf),
        tensors: message.tensors,
      });
    }
  }

  private onEpochEnd(peer: Peer, end: EpochEnd): void {
    const current = this.current;
    // A late answer to an attempt that is over (aborted, or replaced by a redo).
    if (!current || end.attempt !== current.id) return;
    if (!current.peers.includes(peer)) {
      throw new FrameError(`"epochEnd" from a worker that is not training`);
    }
    const done = this.reducer.stepsDone;
    if (end.ok && done !== current.endStep) {
      peer.epochEnd.reject(
        new Error(
          `claimed the end of the attempt after ${done - current.startStep} of its ${current.endStep - current.startStep} steps`,
        ),
      );
      return;
    }
    this.account(peer, end.stats, end.ok ? "exactly" : "at most");
    peer.epochEnd.resolve(end);
  }

  /** Adds the change in a peer's reported statistics (once checked) to the run's telemetry. */
  private account(peer: Peer, stats: Stats, seen: "exactly" | "at most"): void {
    checkStats(this.current, peer, this.reducer.stepsDone, stats, seen);
    const row = this.telemetry.statsRow(0);
    row[STAT.loss] += stats[0] - peer.latest[0];
    row[STAT.correct] += stats[1] - peer.latest[1];
    row[STAT.seen] += stats[2] - peer.latest[2];
    peer.latest = [...stats];
    this.telemetry.timingsRow(0)[TIMING.steps] = this.reducer.steps;
  }

  /**
   * Welcomes the participant at `index` until one is ready (with the current weights): one
   * lost on the way — it left, or was not ready by the deadline — is replaced.
   */
  private async welcomeAt(index: number): Promise<void> {
    for (let tries = 1; ; tries++) {
      const peer = this.peers[index];
      try {
        await this.welcome(peer);
        this.reducer.sendWeights(peer);
        return;
      } catch (error) {
        const reason = (error as Error).message;
        if (this.o.signal.aborted) throw error;
        peer.drop(CLOSE.protocol, reason);
        if (tries >= MAX_CONSECUTIVE_FAILURES) {
          throw new Error(
            `${peer.label}: ${reason}; ${tries} workers in a row did not get ready for participant ${index}`,
          );
        }
        await this.admission.replace(peer);
      }
    }
  }

  /** Sends the welcome; resolves when the peer is ready, rejects when lost or late. */
  private async welcome(peer: Peer): Promise<void> {
    const join = this.join;
    if (!join) throw new Error("remote participants: start() first");
    peer.ready = deferred<void>();
    peer.send({
      type: "welcome",
      participant: peer.index,
      firstSlot: peer.firstSlot,
      spec: join.spec,
      loss: join.loss,
      paramCount: this.o.paramCount,
      shards: peer.slots.map((slot) => ({
        url: `/shards/${slot}`,
        token: join.shardToken(slot),
      })),
    });
    const ms = this.o.handshakeTimeoutMs ?? 120_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not ready within ${ms} ms of its welcome`)), ms);
    });
    try {
      await raceAbort(Promise.race([peer.ready.promise, peer.gone.promise, late]), this.o.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls every participant; one lost before it answers is replaced and called again. */
  private each<T>(call: (p: Peer) => Promise<T>): Promise<T[]> {
    const one = async (index: number): Promise<T> => {
      for (let tries = 1; ; tries++) {
        const peer = this.peers[index];
        try {
          return await Promise.race([call(peer), peer.gone.promise]);
        } catch (error) {
          if (this.o.signal.aborted || !peer.gone.outcome || tries >= MAX_CONSECUTIVE_FAILURES) {
            throw new Error(`${peer.label}: ${(error as Error).message}`);
          }
          this.asked.delete(peer);
          this.o.log(`shardfit: ${peer.label}: lost (${(error as Error).message}); replacing it`);
          await this.admission.replace(peer);
          await this.welcomeAt(index);
        }
      }
    };
    return raceAbort(Promise.all(this.peers.map((p) => one(p.index))), this.o.signal);
  }
}

/** How a participant's attempt ended, as superviseAttempt reads it. */
function epochOutcome(end: EpochEnd): void {
  if (end.ok) return;
  if (end.reason === "aborted") throw new AbortedError();
  throw new Error(printable(end.reason ?? "failed", 300));
}

function plansOf(plans: WorkerPlan[], first: number, count: number) {
  return plans.slice(first, first + count).map((p) => ({
    indices: Array.from(p.indices),
    counts: Array.from(p.counts),
    globalCounts: Array.from(p.globalCounts),
    sampleOffset: p.sampleOffset,
    seed: p.seed,
  }));
}

/** A participant's evaluation as it came over the wire, predictions decoded. */
function evalResultOf(wire: Evaluated["results"][number]): EvalResult {
  const { lossSum, correct, count, metricSums, predictions } = wire;
  const sums = metricSums ? { metricSums } : {};
  if (!predictions) return { lossSum, correct, count, ...sums };
  return { lossSum, correct, count, ...sums, predictions: decodePredictions(predictions, count) };
}
