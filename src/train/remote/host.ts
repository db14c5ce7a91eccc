import * as Comlink from "comlink";
import { AbortedError } from "../../collective/collective.ts";
import { encodeGradient, gradientRows } from "../../collective/gradient-frame.ts";
import { allocateRelayPlane, type RelayReply, type RelayRequest } from "../../collective/relay.ts";
import { SharedPlane } from "../../collective/shared-memory.ts";
import { allocateTelemetry, STAT, Telemetry } from "../../collective/telemetry.ts";
import {
  CLOSE,
  type CoordinatorMessage,
  encodePredictions,
  FRAME,
  HEAD,
  PROTOCOL_VERSION,
  parseCoordinatorMessage,
  printable,
  readFrame,
  SHARDFIT_VERSION,
  type WirePlan,
} from "../../collective/wire.ts";
import type { WorkerPlan } from "../../core/data/plan.ts";
import { modelLayout } from "../../core/model/sequential.ts";
import { WorkerPool } from "../pool.ts";

/** The host's end of its connection to the coordinator (a WebSocket, or in-memory). */
export interface Channel {
  send(data: string | ArrayBuffer): void;
  close(code: number, reason: string): void;
}

export interface HostOptions {
  readonly threads: number;
  readonly token: string;
  /** The participant index this host asks for (Kubernetes: JOB_COMPLETION_INDEX). */
  readonly rank?: number;
  readonly runtime: string;
  /** What the welcome's relative shard URLs resolve against (the coordinator's HTTP URL). */
  readonly baseUrl: string;
  /** The training worker module, when not the package's own (a browser's bundle of it). */
  readonly workerUrl?: URL;
}

type Welcome = Extract<CoordinatorMessage, { type: "welcome" }>;
type EpochMessage = Extract<CoordinatorMessage, { type: "epoch" }>;

interface Joined {
  readonly paramCount: number;
  /** The parameters' rows: a gradient frame leaves out those that are all zero. */
  readonly rows: Uint32Array;
  readonly plane: SharedPlane;
  readonly sum: Float32Array;
  readonly telemetry: Telemetry;
  readonly pool: WorkerPool;
  /** The main thread's end of thread 0's relay port. */
  readonly port: MessagePort;
}

/**
 * A worker process's side of a networked run: K local threads train the participant's slots
 * on a relay plane; this class speaks the wire protocol for them — it sends the process's
 * reduced gradient each step and writes the weights that come back.
 */
export class WorkerHost {
  /** Resolves when the coordinator says the run is over; rejects when refused or cut off. */
  readonly finished: Promise<void>;
  private settle!: { resolve: () => void; reject: (error: Error) => void };
  /** Aborted when the host shuts down: ends the threads' set-up. */
  private readonly stopped = new AbortController();
  private joined?: Joined;
  private attempt = -1;
  /** The current attempt's: the coordinator's "abort" (or a shutdown) aborts it. */
  private attemptStop?: AbortController;
  private pending?: { step: number; sentAt: number };
  private computeStart = 0;
  /** The last step's wait from sending the gradient to receiving the weights. */
  private exchangeMs = 0;

  constructor(
    private readonly channel: Channel,
    private readonly o: HostOptions,
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  /** The first message on a fresh connection. */
  hello(): void {
    this.channel.send(
      JSON.stringify({
        type: "hello",
        protocol: PROTOCOL_VERSION,
        version: SHARDFIT_VERSION,
        token: this.o.token,
        threads: this.o.threads,
        runtime: this.o.runtime,
        rank: this.o.rank,
      }),
    );
  }

  /** A frame from the coordinator. */
  receive(data: string | ArrayBuffer): void {
    try {
      if (typeof data !== "string") this.onWeights(data);
      else this.onMessage(parseCoordinatorMessage(data));
    } catch (error) {
      this.fail(error as Error, CLOSE.protocol);
    }
  }

  /** The connection closed (by either side). */
  closed(code: number, reason: string): void {
    this.shutdown();
    this.settle.reject(
      new Error(`connection to the coordinator closed (${code}${reason ? `: ${reason}` : ""})`),
    );
  }

  private onMessage(message: CoordinatorMessage): void {
    switch (message.type) {
      case "welcome":
        this.join(message).catch((error) => this.fail(error, CLOSE.protocol));
        return;
      case "refused":
        this.shutdown();
        this.settle.reject(
          new Error(`the coordinator refused this worker: ${printable(message.reason, 300)}`),
        );
        return;
      case "epoch":
        this.runEpoch(message);
        return;
      case "abort":
        this.abort();
        return;
      case "evaluate":
        this.evaluate(message).catch((error) => this.fail(error, CLOSE.protocol));
        return;
      case "bye":
        this.shutdown();
        this.settle.resolve();
        this.channel.close(CLOSE.done, "run finished");
        return;
    }
  }

  /** Builds the model, spawns the threads and fetches this participant's shards. */
  private async join(welcome: Welcome): Promise<void> {
    const spec = welcome.spec;
    const layout = modelLayout(spec);
    const paramCount = layout.size;
    if (paramCount !== welcome.paramCount) {
      throw new Error(
        `model ${JSON.stringify(spec)} has ${paramCount} parameters here, the coordinator says ${welcome.paramCount}`,
      );
    }
    const threads = this.o.threads;
    const buffers = allocateRelayPlane(threads, paramCount);
    const telemetry = new Telemetry(allocateTelemetry(threads));
    const { port1, port2 } = new MessageChannel();
    const pool = new WorkerPool(
      threads,
      async ({ api }, w) => {
        await api.loadModel(spec, welcome.loss);
        const port = w === 0 ? port2 : undefined;
        const membership = { plane: buffers, telemetry: telemetry.buffers, worker: w, port };
        await api.joinRelayPlane(port ? Comlink.transfer(membership, [port]) : membership);
        const shard = welcome.shards[w];
        await api.loadShard({ url: new URL(shard.url, this.o.baseUrl).href, token: shard.token });
      },
      this.stopped.signal,
      this.o.workerUrl,
    );
    this.joined = {
      paramCount,
      rows: gradientRows(layout),
      plane: new SharedPlane(buffers),
      sum: new Float32Array(buffers.sum),
      telemetry,
      pool,
      port: port1,
    };
    port1.onmessage = (event: MessageEvent<RelayRequest>) => this.sendGradient(event.data.step);
    await pool.start();
    this.channel.send(JSON.stringify({ type: "ready", paramCount }));
  }

  /** Runs the attempt on every thread; reports how it ended with this attempt's statistics. */
  private runEpoch(message: EpochMessage): void {
    const { pool, plane, telemetry } = this.requireJoined();
    this.attempt = message.attempt;
    this.pending = undefined;
    this.attemptStop = new AbortController();
    plane.beginAttempt(this.attemptStop.signal);
    telemetry.reset();
    this.exchangeMs = 0;
    this.computeStart = performance.now();
    const { fromStep, globalStep } = message;
    pool
      .each((api, w) => api.runEpoch({ plan: toPlan(message.plans[w]), fromStep, globalStep }))
      .then(
        () => this.send({ type: "epochEnd", attempt: message.attempt, ok: true }),
        (error: Error) =>
          this.send({
            type: "epochEnd",
            attempt: message.attempt,
            ok: false,
            reason: error?.name === AbortedError.name ? "aborted" : String(error?.message),
          }),
      );
  }

  private send(message: { type: "epochEnd"; attempt: number; ok: boolean; reason?: string }) {
    this.channel.send(JSON.stringify({ ...message, stats: this.stats() }));
  }

  /** Training statistics of this attempt's completed steps, summed over the threads. */
  private stats(): [number, number, number] {
    const t = this.requireJoined().telemetry;
    return [t.sum(STAT.loss), t.sum(STAT.correct), t.sum(STAT.seen)];
  }

  /** Thread 0 asks: the threads' reduced gradient of `step` goes to the coordinator. */
  private sendGradient(step: number): void {
    const { rows, sum, port } = this.requireJoined();
    // The coordinator's abort can arrive before thread 0's request: it then gets its answer
    // here, or it would wait for weights that never come while a later attempt's arrive.
    if (this.attemptStop?.signal.aborted) {
      port.postMessage({ ok: false } satisfies RelayReply);
      return;
    }
    const now = performance.now();
    const frame = encodeGradient(sum, rows);
    const [loss, correct, seen] = this.stats();
    const computeMs = now - this.computeStart;
    frame.head.set([step, this.attempt, loss, correct, seen, computeMs, this.exchangeMs], 1);
    this.pending = { step, sentAt: now };
    this.channel.send(frame.buffer);
  }

  /** Weights of a step: the reply to a pending gradient, or the state to start an attempt from. */
  private onWeights(data: ArrayBuffer): void {
    const { paramCount, plane, port } = this.requireJoined();
    const { head, vector } = readFrame(data, paramCount, FRAME.weights);
    const step = head[HEAD.step];
    const pending = this.pending;
    if (pending && step === pending.step + 1) {
      plane.params(step).set(vector);
      this.pending = undefined;
      const now = performance.now();
      this.exchangeMs = now - pending.sentAt;
      this.computeStart = now;
      port.postMessage({ ok: true } satisfies RelayReply);
    } else if (!pending) {
      plane.load(step, vector, []);
    } else {
      throw new Error(`weights of step ${step} while waiting for step ${pending.step + 1}`);
    }
  }

  /** Stops the threads' current attempt; each returns an AbortedError. */
  private abort(): void {
    const joined = this.joined;
    if (!joined) return;
    this.attemptStop?.abort();
    // Only a waiting thread 0 may get a reply: a stray one would end its next exchange.
    if (this.pending) {
      this.pending = undefined;
      joined.port.postMessage({ ok: false } satisfies RelayReply);
    }
  }

  private async evaluate(
    request: Extract<CoordinatorMessage, { type: "evaluate" }>,
  ): Promise<void> {
    const { pool } = this.requireJoined();
    const options = {
      predictions: request.predictions === true,
      split: request.split,
      metrics: request.metrics,
    };
    const evals = await pool.each((api) => api.evaluate(undefined, options));
    const results = evals.map(({ lossSum, correct, count, metricSums, predictions: p }) => ({
      ...{ lossSum, correct, count },
      ...(metricSums ? { metricSums } : {}),
      ...(p ? { predictions: encodePredictions(p) } : {}),
    }));
    const tensors = await pool.each((api) => api.tensorCount());
    const total = tensors.reduce((a, b) => a + b, 0);
    this.channel.send(JSON.stringify({ type: "evaluated", results, tensors: total }));
  }

  private fail(error: Error, code: number): void {
    this.shutdown();
    this.settle.reject(error);
    this.channel.close(code, String(error.message).slice(0, 120));
  }

  private shutdown(): void {
    this.abort();
    this.stopped.abort(new Error("worker host stopped"));
    this.joined?.pool.terminateAll();
    this.joined?.port.close();
  }

  private requireJoined(): Joined {
    if (!this.joined) throw new Error("coordinator message before the welcome");
    return this.joined;
  }
}

function toPlan(plan: WirePlan): WorkerPlan {
  return {
    indices: Int32Array.from(plan.indices),
    counts: Int32Array.from(plan.counts),
    globalCounts: Int32Array.from(plan.globalCounts),
    sampleOffset: plan.sampleOffset,
    seed: plan.seed,
  };
}
