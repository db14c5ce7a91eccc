import { AbortedError } from "../../collective/collective.ts";
import { allocateTelemetry, STAT, Telemetry, TIMING } from "../../collective/telemetry.ts";
import { CLOSE, decodePredictions, FrameError, type WorkerMessage } from "../../collective/wire.ts";
import type { OptimizerSpec } from "../../core/optimizer.ts";
import type { WorkerPlan } from "../../core/plan.ts";
import type { EvalOptions, EvalResult } from "../../worker/trainer.ts";
import { raceAbort } from "../cancel.ts";
import type { EpochAttempt, JoinInfo, NetworkProfile, Participants } from "../participants.ts";
import { superviseAttempt } from "../steps.ts";
import { Admission } from "./admission.ts";
import {
  type Connection,
  deferred,
  type EpochEnd,
  type Evaluated,
  type Link,
  type Peer,
  type PeerEvents,
  type StandIn,
} from "./peer.ts";
import { type Stats, StepReducer } from "./reduce.ts";

export type { Connection, Link, StandIn };

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
  /** A participant that has not said hello by then is disconnected. */
  readonly helloTimeoutMs?: number;
}

/**
 * Worker processes joined over WebSocket, each computing a contiguous range of slots, driven
 * through the run's phases: admission (admission.ts), the welcome until each is ready, the
 * epochs' steps (reduced by reduce.ts, supervised as local threads are), evaluation.
 */
export class RemoteParticipants implements Participants {
  readonly telemetry = new Telemetry(allocateTelemetry(1));
  private readonly admission: Admission;
  private readonly reducer: StepReducer;
  private join?: JoinInfo;
  private attempt = 0;
  private lastTensors?: number[];

  constructor(readonly o: RemoteOptions) {
    const events: PeerEvents = {
      message: (peer, message) => this.onMessage(peer, message),
      gradient: (peer, data) => this.reducer.gradient(peer, data),
      closed: (peer) => this.admission.left(peer),
      log: o.log,
    };
    this.admission = new Admission(o, events);
    this.reducer = new StepReducer(o.paramCount, o.optimizer, (peer, stats) =>
      this.account(peer, stats),
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
    this.admission.started = true;
    await raceAbort(Promise.all(this.peers.map((p) => this.welcome(p))), this.o.signal);
  }

  async replace(slots: number[]): Promise<void> {
    const lost = this.peers.filter((p) => p.slots.some((s) => slots.includes(s)));
    for (const old of lost) {
      old.link.close(CLOSE.protocol, "replaced after a failed step");
      const peer = await this.admission.replace(old);
      await raceAbort(this.welcome(peer), this.o.signal);
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
        globalStep: this.reducer.stepsDone,
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
    }
  }

  async evaluate(options: EvalOptions = {}): Promise<EvalResult[]> {
    await this.replaceGone();
    const all = await this.each((p) => {
      p.evaluated = deferred<Evaluated>();
      p.send({ type: "evaluate", predictions: options.predictions === true });
      return p.evaluated.promise;
    });
    this.lastTensors = all.map((e) => e.tensors);
    return all.flatMap((e) => e.results.map(evalResultOf));
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

  load(stepsDone: number, params: Float32Array, state: readonly Float32Array[]): void {
    this.reducer.load(stepsDone, params, state);
  }

  async close(): Promise<void> {
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
      if (message.attempt !== this.attempt) return;
      this.account(peer, message.stats);
      peer.epochEnd.resolve(message);
    } else {
      peer.evaluated.resolve(message);
    }
  }

  private async welcome(peer: Peer): Promise<void> {
    const join = this.join;
    if (!join) throw new Error("remote participants: start() first");
    peer.ready = deferred<void>();
    peer.send({
      type: "welcome",
      participant: peer.index,
      firstSlot: peer.firstSlot,
      spec: join.spec,
      paramCount: this.o.paramCount,
      shards: peer.slots.map((slot) => ({
        url: `/shards/${slot}`,
        token: join.shardToken(slot),
      })),
    });
    await Promise.race([peer.ready.promise, peer.gone.promise]);
  }

  /** Adds the change in a peer's reported statistics to the run's telemetry. */
  private account(peer: Peer, stats: Stats): void {
    const row = this.telemetry.statsRow(0);
    row[STAT.loss] += stats[0] - peer.latest[0];
    row[STAT.correct] += stats[1] - peer.latest[1];
    row[STAT.seen] += stats[2] - peer.latest[2];
    peer.latest = [...stats];
    this.telemetry.timingsRow(0)[TIMING.steps] = this.reducer.steps;
  }

  private each<T>(call: (p: Peer) => Promise<T>): Promise<T[]> {
    return raceAbort(
      Promise.all(this.peers.map((p) => Promise.race([call(p), p.gone.promise]))),
      this.o.signal,
    );
  }
}

/** How a participant's attempt ended, as superviseAttempt reads it. */
function epochOutcome(end: EpochEnd): void {
  if (end.ok) return;
  throw end.reason === "aborted" ? new AbortedError() : new Error(end.reason ?? "failed");
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
  const { lossSum, correct, count, predictions } = wire;
  if (!predictions) return { lossSum, correct, count };
  return { lossSum, correct, count, predictions: decodePredictions(predictions, count) };
}
