import { allocateTelemetry, STAT, Telemetry, TIMING } from "../../collective/telemetry.ts";
import {
  CLOSE,
  type CoordinatorMessage,
  decodePredictions,
  FRAME,
  FrameError,
  HEAD,
  type Hello,
  newFrame,
  PROTOCOL_VERSION,
  parseWorkerMessage,
  readFrame,
  SHARDFIT_VERSION,
  type WorkerMessage,
} from "../../collective/wire.ts";
import type { WorkerPlan } from "../../core/data/plan.ts";
import { type OptimizerSpec, optimizerFor } from "../../core/optim/optimizer.ts";
import type { EvalOptions, EvalResult } from "../../worker/trainer.ts";
import type { EpochAttempt, JoinInfo, ParticipantReport, Participants } from "../participants.ts";
import { StepFailure } from "../steps.ts";
import { timingSafeEqualText } from "./token.ts";

/** The coordinator's end of one participant's connection. */
export interface Link {
  send(data: string | ArrayBuffer): void;
  close(code: number, reason: string): void;
  /** Where the participant connects from, for messages. */
  readonly remote: string;
}

/** What the transport calls on a connection's events. */
export interface Connection {
  receive(data: string | ArrayBuffer): void;
  closed(code: number, reason: string): void;
}

/** An in-process stand-in for a lost participant: a WorkerHost on an in-memory link. */
export type StandIn = (threads: number, to: Connection) => Link;

export interface RemoteOptions {
  /** Participants to wait for before the run starts. */
  readonly expect: number;
  readonly token: string;
  readonly paramCount: number;
  readonly optimizer: OptimizerSpec;
  readonly aborted: Promise<never>;
  readonly log: (line: string) => void;
  /** Replaces lost participants when no spare has joined; without it the run waits for one. */
  readonly standIn?: StandIn;
  /** A participant that has not said hello by then is disconnected. */
  readonly helloTimeoutMs?: number;
}

/** Bytes and milliseconds of the networked steps, for benchmarks and `--json`. */
export interface NetworkProfile {
  steps: number;
  bytesInPerStep: number;
  bytesOutPerStep: number;
  /** Mean milliseconds per step at the coordinator: the sum over participants + optimizer. */
  reduceMs: number;
  participants: ParticipantReport[];
}

/** A promise with its settle functions, and how it settled (read synchronously). */
interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  outcome?: { value: T } | { error: Error };
}
function deferred<T>(): Deferred<T> {
  const d = {} as Deferred<T>;
  (d as { promise: Promise<T> }).promise = new Promise<T>((resolve, reject) => {
    d.resolve = (value) => {
      d.outcome ??= { value };
      resolve(value);
    };
    d.reject = (error) => {
      d.outcome ??= { error };
      reject(error);
    };
  });
  d.promise.catch(() => {});
  return d;
}

type EpochEnd = Extract<WorkerMessage, { type: "epochEnd" }>;
type Evaluated = Extract<WorkerMessage, { type: "evaluated" }>;

/** One connected worker process (or stand-in) as the coordinator tracks it. */
class Peer implements Connection {
  hello?: Hello;
  /** Index in the run's participant order, once admitted. */
  index = -1;
  firstSlot = 0;
  readonly gone = deferred<never>();
  ready = deferred<void>();
  epochEnd = deferred<EpochEnd>();
  evaluated = deferred<Evaluated>();
  /** The latest statistics this peer reported in the current attempt. */
  latest = [0, 0, 0];
  computeMs = 0;
  exchangeMs = 0;
  steps = 0;

  constructor(
    readonly link: Link,
    private readonly owner: RemoteParticipants,
  ) {}

  get label(): string {
    const h = this.hello;
    const threads = h ? `${h.threads} thread${h.threads === 1 ? "" : "s"}` : "? threads";
    return `participant ${this.index} (${h?.runtime ?? "?"}, ${threads}, ${this.link.remote})`;
  }

  get threads(): number {
    return this.hello?.threads ?? 0;
  }

  receive(data: string | ArrayBuffer): void {
    try {
      if (typeof data === "string") this.owner.onMessage(this, parseWorkerMessage(data));
      else this.owner.onGradient(this, data);
    } catch (error) {
      const code = error instanceof FrameError ? CLOSE.protocol : CLOSE.refused;
      this.drop(code, (error as Error).message);
    }
  }

  closed(code: number, reason: string): void {
    this.gone.reject(
      new Error(`${this.label} disconnected (${code}${reason ? `: ${reason}` : ""})`),
    );
    this.owner.onClosed(this);
  }

  send(message: CoordinatorMessage): void {
    this.link.send(JSON.stringify(message));
  }

  /** Closes the connection, telling the worker why. */
  drop(code: number, reason: string): void {
    this.owner.o.log(`shardfit: ${this.label}: ${reason}`);
    if (code === CLOSE.refused) this.send({ type: "refused", reason });
    this.link.close(code, reason.slice(0, 120));
    this.closed(code, reason);
  }
}

/**
 * Worker processes joined over WebSocket, each computing a contiguous range of slots. The
 * coordinator holds the weights and optimizer state: per step it sums the participants'
 * gradients in participant order (so runs are deterministic), applies the optimizer and
 * broadcasts the new weights. Broadcasting weights rather than the summed gradient costs the
 * same bytes (both are one float32 per parameter) and keeps optimizer state and its update
 * in one place: workers hold none, and a stand-in needs nothing but the weights.
 */
export class RemoteParticipants implements Participants {
  readonly telemetry: Telemetry;
  readonly stateNames: readonly string[];
  private optimizer;
  private readonly copies: { params: Float32Array; state: Float32Array[] }[];
  private done = 0;
  private peers: Peer[] = [];
  private readonly lobby: Peer[] = [];
  private gathered = deferred<number>();
  private join?: JoinInfo;
  private attempt = 0;
  private inflight?: { attempt: number; grads: (Float32Array | undefined)[]; received: number };
  private bytesIn = 0;
  private bytesOut = 0;
  private reduceMs = 0;
  private stepCount = 0;
  private lastTensors?: number[];
  private spareJoined = deferred<void>();

  constructor(readonly o: RemoteOptions) {
    this.optimizer = optimizerFor(o.optimizer);
    this.stateNames = this.optimizer.stateNames;
    const n = o.paramCount;
    this.copies = [0, 1].map(() => ({
      params: new Float32Array(n),
      state: this.stateNames.map(() => new Float32Array(n)),
    }));
    this.telemetry = new Telemetry(allocateTelemetry(1));
  }

  /** Between epochs: the coordinator applies the optimizer, so only its own changes. */
  setOptimizer(spec: OptimizerSpec): Promise<void> {
    this.optimizer = optimizerFor(spec);
    return Promise.resolve();
  }

  /** A new connection; the peer must say hello within the timeout. */
  connect(link: Link): Connection {
    const peer = new Peer(link, this);
    const timer = setTimeout(() => {
      if (!peer.hello) peer.drop(CLOSE.refused, "no hello within the handshake timeout");
    }, this.o.helloTimeoutMs ?? 10_000);
    peer.gone.promise.catch(() => clearTimeout(timer));
    peer.ready.promise.then(() => clearTimeout(timer));
    return peer;
  }

  gather(): Promise<number> {
    return Promise.race([this.gathered.promise, this.o.aborted]);
  }

  async start(join: JoinInfo): Promise<void> {
    this.join = join;
    await Promise.race([this.o.aborted, Promise.all(this.peers.map((p) => this.welcome(p)))]);
  }

  async replace(slots: number[]): Promise<void> {
    const lost = this.peers.filter((p) =>
      slots.some((s) => s >= p.firstSlot && s < p.firstSlot + p.threads),
    );
    for (const old of lost) {
      old.link.close(CLOSE.protocol, "replaced after a failed step");
      const peer = await this.replacementFor(old);
      peer.index = old.index;
      peer.firstSlot = old.firstSlot;
      this.peers[old.index] = peer;
      const last = old.firstSlot + old.threads - 1;
      this.o.log(`shardfit: ${peer.label} takes over slots ${old.firstSlot}..${last}`);
      await Promise.race([this.o.aborted, this.welcome(peer)]);
    }
  }

  /**
   * A spare with the same thread count; without one, stand-in threads in this process — or,
   * when those are off, the run pauses until a worker joins (e.g. Kubernetes restarts a pod).
   */
  private async replacementFor(old: Peer): Promise<Peer> {
    const { standIn } = this.o;
    for (;;) {
      const spare = this.lobby.findIndex((p) => p.threads === old.threads);
      if (spare >= 0) return this.lobby.splice(spare, 1)[0];
      if (standIn) return this.standIn(old, standIn);
      this.o.log(
        `shardfit: paused: waiting for a worker with ${old.threads} thread(s) to take over participant ${old.index} (run the join command again)`,
      );
      this.spareJoined = deferred<void>();
      await Promise.race([this.o.aborted, this.spareJoined.promise]);
    }
  }

  /** Participants that left between epochs are replaced before the next phase needs them. */
  private async replaceGone(): Promise<void> {
    const gone = this.peers.filter((p) => p.gone.outcome);
    const slots = gone.flatMap((p) => Array.from({ length: p.threads }, (_, i) => p.firstSlot + i));
    if (slots.length > 0) await this.replace(slots);
  }

  async runEpoch(attempt: EpochAttempt): Promise<void> {
    await this.replaceGone();
    // The profile describes the last epoch, as train()'s does (the first includes warm-up).
    if (attempt.fromStep === 0) this.resetProfile();
    const id = ++this.attempt;
    const peers = this.peers;
    this.inflight = { attempt: id, grads: new Array(peers.length), received: 0 };
    const weights = this.weightsFrame();
    for (const p of peers) {
      p.latest = [0, 0, 0];
      p.epochEnd = deferred<EpochEnd>();
      p.link.send(weights);
      p.send({
        type: "epoch",
        attempt: id,
        plans: plansOf(attempt.plans, p.firstSlot, p.threads),
        fromStep: attempt.fromStep,
        globalStep: this.done,
      });
    }
    this.bytesOut += weights.byteLength * peers.length;
    const watchdog = this.watchdog(attempt.stepTimeoutMs);
    try {
      const ends = await Promise.race([
        Promise.all(peers.map((p) => Promise.race([p.epochEnd.promise, p.gone.promise]))),
        watchdog.hung,
        attempt.aborted,
      ]);
      const failed = peers.filter((_, i) => !ends[i].ok);
      if (failed.length > 0) throw new Error(ends.find((e) => !e.ok)?.reason ?? "failed");
    } catch (error) {
      if ((error as Error)?.name === "AbortError") throw error;
      throw await this.failure(peers, error as Error);
    } finally {
      watchdog.stop();
      this.inflight = undefined;
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

  get stepsDone(): number {
    return this.done;
  }

  params(): Float32Array {
    return this.copies[this.done & 1].params;
  }

  state(): readonly Float32Array[] {
    return this.copies[this.done & 1].state;
  }

  load(stepsDone: number, params: Float32Array, state: readonly Float32Array[]): void {
    this.done = stepsDone;
    this.params().set(params);
    this.state().forEach((v, k) => {
      v.set(state[k]);
    });
  }

  abort(): void {
    for (const p of [...this.peers, ...this.lobby]) p.send({ type: "abort" });
  }

  async close(): Promise<void> {
    for (const p of [...this.peers, ...this.lobby]) {
      p.send({ type: "bye" });
      p.link.close(CLOSE.done, "run finished");
    }
  }

  private resetProfile(): void {
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.reduceMs = 0;
    this.stepCount = 0;
    for (const p of this.peers) {
      p.computeMs = 0;
      p.exchangeMs = 0;
      p.steps = 0;
    }
  }

  report(): ParticipantReport[] {
    return this.networkProfile().participants;
  }

  /** Bytes and times per step of the last epoch's networked steps. */
  networkProfile(): NetworkProfile {
    const steps = Math.max(1, this.stepCount);
    return {
      steps: this.stepCount,
      bytesInPerStep: this.bytesIn / steps,
      bytesOutPerStep: this.bytesOut / steps,
      reduceMs: this.reduceMs / steps,
      participants: this.peers.map((p) => ({
        label: p.label,
        slots: p.threads,
        computeMs: p.computeMs / Math.max(1, p.steps),
        exchangeMs: p.exchangeMs / Math.max(1, p.steps),
      })),
    };
  }

  /** Handshake and control messages. */
  onMessage(peer: Peer, message: WorkerMessage): void {
    if (message.type === "hello") {
      this.onHello(peer, message);
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

  /** A participant's gradient of the current step; the last one completes the step. */
  onGradient(peer: Peer, data: ArrayBuffer): void {
    const { head, vector } = readFrame(data, this.o.paramCount, FRAME.gradient);
    if (!peer.hello) throw new FrameError("a gradient before hello");
    const inflight = this.inflight;
    this.bytesIn += data.byteLength;
    if (!inflight || head[HEAD.attempt] !== inflight.attempt || peer.index < 0) return;
    if (head[HEAD.step] !== this.done) {
      throw new FrameError(`gradient of step ${head[HEAD.step]}; the run is at step ${this.done}`);
    }
    if (this.peers[peer.index] !== peer || inflight.grads[peer.index]) {
      throw new FrameError(`a second gradient for step ${this.done}`);
    }
    inflight.grads[peer.index] = vector;
    inflight.received++;
    this.account(peer, [head[HEAD.loss], head[HEAD.correct], head[HEAD.seen]]);
    peer.computeMs += head[HEAD.computeMs];
    peer.exchangeMs += head[HEAD.exchangeMs];
    if (inflight.received === this.peers.length)
      this.completeStep(inflight.grads as Float32Array[]);
  }

  onClosed(peer: Peer): void {
    const i = this.lobby.indexOf(peer);
    if (i >= 0) this.lobby.splice(i, 1);
    // Before the run starts, a participant that leaves frees its place.
    const j = this.peers.indexOf(peer);
    if (j >= 0 && !this.join && this.peers.length < this.o.expect) this.peers.splice(j, 1);
  }

  private onHello(peer: Peer, hello: Hello): void {
    if (peer.hello) throw new FrameError("a second hello");
    if (hello.protocol !== PROTOCOL_VERSION || hello.version !== SHARDFIT_VERSION) {
      throw new Error(
        `version mismatch: the worker runs shardfit ${hello.version} (protocol ${hello.protocol}), this coordinator runs ${SHARDFIT_VERSION} (protocol ${PROTOCOL_VERSION})`,
      );
    }
    if (!timingSafeEqualText(hello.token, this.o.token)) throw new Error("wrong run token");
    peer.hello = hello;
    if (this.peers.length < this.o.expect && !this.join) {
      this.admit(peer, hello.rank);
    } else {
      this.lobby.push(peer);
      this.o.log(`shardfit: ${peer.label}: joined as a spare (the run has all its participants)`);
      this.spareJoined.resolve();
    }
  }

  /** Takes the peer into the run's participants before it starts (at its rank, if asked). */
  private admit(peer: Peer, rank: number | undefined): void {
    const taken = new Set(this.peers.map((p) => p.index));
    if (rank !== undefined && (rank >= this.o.expect || taken.has(rank))) {
      throw new Error(
        rank >= this.o.expect
          ? `rank ${rank} is out of range: this run expects ranks 0..${this.o.expect - 1}`
          : `rank ${rank} has already joined`,
      );
    }
    let index = rank ?? 0;
    while (rank === undefined && taken.has(index)) index++;
    peer.index = index;
    this.peers.push(peer);
    this.o.log(`shardfit: ${peer.label} joined (${this.peers.length}/${this.o.expect})`);
    if (this.peers.length < this.o.expect) return;
    this.peers.sort((a, b) => a.index - b.index);
    let slot = 0;
    for (const p of this.peers) {
      p.firstSlot = slot;
      slot += p.threads;
    }
    this.gathered.resolve(slot);
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
      shards: Array.from({ length: peer.threads }, (_, i) => ({
        url: `/shards/${peer.firstSlot + i}`,
        token: join.shardToken(peer.firstSlot + i),
      })),
    });
    await Promise.race([peer.ready.promise, peer.gone.promise]);
  }

  private standIn(old: Peer, standIn: StandIn): Peer {
    let inner: Link | undefined;
    const link: Link = {
      send: (data) => inner?.send(data),
      close: (code, reason) => inner?.close(code, reason),
      remote: "the coordinator's process",
    };
    const peer = new Peer(link, this);
    inner = standIn(old.threads, peer);
    peer.hello = { ...(old.hello as Hello), runtime: "stand-in", rank: undefined };
    return peer;
  }

  /** Sums the gradients in participant order, applies the optimizer, sends the new weights. */
  private completeStep(grads: Float32Array[]): void {
    const t0 = performance.now();
    const step = this.done;
    const now = this.copies[step & 1];
    const next = this.copies[(step + 1) & 1];
    // Summed in participant order inside the update, as the shared-memory plane does.
    this.optimizer.update(
      grads,
      now.params,
      now.state,
      next.params,
      next.state,
      0,
      now.params.length,
      step + 1,
    );
    this.done = step + 1;
    this.reduceMs += performance.now() - t0;
    this.stepCount++;
    for (const p of this.peers) p.steps++;
    this.inflight = { ...this.inflight!, grads: new Array(grads.length), received: 0 };
    const weights = this.weightsFrame();
    for (const p of this.peers) p.link.send(weights);
    this.bytesOut += weights.byteLength * this.peers.length;
  }

  private weightsFrame(): ArrayBuffer {
    const frame = newFrame(FRAME.weights, this.o.paramCount);
    frame.head[HEAD.step] = this.done;
    frame.vector.set(this.params());
    return frame.buffer;
  }

  /** Adds the change in a peer's reported statistics to the run's telemetry. */
  private account(peer: Peer, stats: readonly number[]): void {
    const row = this.telemetry.statsRow(0);
    row[STAT.loss] += stats[0] - peer.latest[0];
    row[STAT.correct] += stats[1] - peer.latest[1];
    row[STAT.seen] += stats[2] - peer.latest[2];
    peer.latest = [...stats];
    this.telemetry.timingsRow(0)[TIMING.steps] = this.stepCount;
  }

  /** Which peers failed the attempt: the disconnected, the failing and the silent. */
  private async failure(peers: Peer[], error: Error): Promise<Error> {
    const grads = this.inflight?.grads ?? [];
    for (const p of peers) p.send({ type: "abort" });
    await Promise.race([
      Promise.allSettled(peers.map((p) => Promise.race([p.epochEnd.promise, p.gone.promise]))),
      sleep(2000),
    ]);
    const lost = peers.filter((p, i) => {
      const end = p.epochEnd.outcome;
      if (p.gone.outcome) return true;
      if (end && "value" in end) return !end.value.ok && end.value.reason !== "aborted";
      return !grads[i];
    });
    if (lost.length === 0) return error;
    const slots = lost.flatMap((p) => Array.from({ length: p.threads }, (_, i) => p.firstSlot + i));
    return new StepFailure(slots, lost.map((p) => `${p.label}: ${error.message}`).join("; "));
  }

  private watchdog(timeoutMs: number) {
    let timer: ReturnType<typeof setInterval> | undefined;
    const hung = new Promise<never>((_, reject) => {
      let last = this.done;
      let since = performance.now();
      timer = setInterval(
        () => {
          if (this.done !== last) {
            last = this.done;
            since = performance.now();
          } else if (performance.now() - since > timeoutMs) {
            reject(new Error(`no step finished within ${timeoutMs} ms`));
          }
        },
        Math.min(1000, timeoutMs / 4),
      );
    });
    hung.catch(() => {});
    return { hung, stop: () => clearInterval(timer) };
  }

  private each<T>(call: (p: Peer) => Promise<T>): Promise<T[]> {
    return Promise.race([
      this.o.aborted,
      Promise.all(this.peers.map((p) => Promise.race([call(p), p.gone.promise]))),
    ]);
  }
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A participant's evaluation as it came over the wire, predictions decoded. */
function evalResultOf(wire: Evaluated["results"][number]): EvalResult {
  const { lossSum, correct, count, predictions } = wire;
  if (!predictions) return { lossSum, correct, count };
  return { lossSum, correct, count, predictions: decodePredictions(predictions, count) };
}
