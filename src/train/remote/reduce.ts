import { firstNonFinite, NonFiniteError } from "../../collective/collective.ts";
import { readGradient } from "../../collective/gradient-frame.ts";
import { FRAME, FrameError, HEAD, newFrame } from "../../collective/wire.ts";
import { type OptimizerSpec, optimizerFor } from "../../core/optim/optimizer.ts";
import type { NetworkProfile } from "../participants.ts";
import type { Peer } from "./peer.ts";

/** Training statistics a gradient frame carries: the sender's loss sum, correct, seen. */
export type Stats = readonly [number, number, number];

/**
 * The coordinator's step: it holds the weights and optimizer state (double-buffered: step t
 * reads copy t % 2), sums the participants' gradients in participant order (so runs are
 * deterministic), applies the optimizer and broadcasts the new weights. Broadcasting weights
 * rather than the summed gradient costs the same bytes (both are one float32 per parameter)
 * and keeps optimizer state and its update in one place: workers hold none, and a stand-in
 * needs nothing but the weights. Counts the bytes and milliseconds for the network profile.
 */
export class StepReducer {
  readonly stateNames: readonly string[];
  private optimizer;
  private readonly copies: { params: Float32Array; state: Float32Array[] }[];
  private done = 0;
  private inflight?: { attempt: number; peers: Peer[]; grads: (Float32Array | undefined)[] };
  private bytesIn = 0;
  private bytesOut = 0;
  private reduceMs = 0;
  private stepCount = 0;
  /** The run's parameter rows (gradient-frame.ts), once its model is known. */
  private rows?: Uint32Array;
  /** Per participant index: where its row-masked gradient is rebuilt. */
  private readonly scratch: Float32Array[] = [];

  constructor(
    private readonly paramCount: number,
    optimizer: OptimizerSpec,
    /** A peer's statistics as its gradient frame reports them. */
    private readonly onStats: (peer: Peer, stats: Stats) => void,
  ) {
    this.optimizer = optimizerFor(optimizer);
    this.stateNames = this.optimizer.stateNames;
    this.copies = [0, 1].map(() => ({
      params: new Float32Array(paramCount),
      state: this.stateNames.map(() => new Float32Array(paramCount)),
    }));
  }

  /** The run's parameter rows: from now on, row-masked gradient frames can be read. */
  setRows(rows: Uint32Array): void {
    if (rows[rows.length - 1] !== this.paramCount) {
      throw new Error(
        `parameter rows cover ${rows[rows.length - 1]} parameters; the run has ${this.paramCount}`,
      );
    }
    this.rows = rows;
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

  /** Starts an attempt: every peer gets the current weights; gradients of `attempt` count. */
  begin(attempt: number, peers: Peer[]): void {
    this.inflight = { attempt, peers, grads: peers.map(() => undefined) };
    this.broadcast(peers);
  }

  end(): void {
    this.inflight = undefined;
  }

  /** Whether the peer's gradient of the current step has arrived (it waits for the others). */
  sent(peer: Peer): boolean {
    return Boolean(this.inflight?.grads[peer.index]);
  }

  /** A participant's gradient of the current step; the last one completes the step. */
  gradient(peer: Peer, data: ArrayBuffer): void {
    const frame = readGradient(data, this.paramCount, this.rows);
    const head = frame.head;
    if (!peer.hello) throw new FrameError("a gradient before hello");
    const inflight = this.inflight;
    this.bytesIn += data.byteLength;
    if (!inflight || head[HEAD.attempt] !== inflight.attempt) return;
    if (inflight.peers[peer.index] !== peer) return;
    if (head[HEAD.step] !== this.done) {
      throw new FrameError(`gradient of step ${head[HEAD.step]}; the run is at step ${this.done}`);
    }
    if (inflight.grads[peer.index]) throw new FrameError(`a second gradient for step ${this.done}`);
    // Reused step after step: the peer's previous gradient was summed when its step completed.
    const vector = frame.vector(() => {
      this.scratch[peer.index] ??= new Float32Array(this.paramCount);
      return this.scratch[peer.index];
    });
    // Not finite: this participant fails the step, which is redone from the intact weights.
    if (!Number.isFinite(head[HEAD.loss])) {
      peer.epochEnd.reject(new NonFiniteError(this.done, head[HEAD.loss]));
      return;
    }
    if (firstNonFinite(vector) >= 0) {
      peer.epochEnd.reject(new NonFiniteError(this.done));
      return;
    }
    const ms = [head[HEAD.computeMs], head[HEAD.exchangeMs]];
    if (!ms.every((t) => t >= 0 && t < 1e9)) {
      throw new FrameError(`gradient frame: step times of ${ms.join(" and ")} ms`);
    }
    this.onStats(peer, [head[HEAD.loss], head[HEAD.correct], head[HEAD.seen]]);
    inflight.grads[peer.index] = vector;
    peer.computeMs += ms[0];
    peer.exchangeMs += ms[1];
    if (inflight.grads.every(Boolean)) this.completeStep(inflight.grads as Float32Array[]);
  }

  /** Between epochs: the same optimizer with other settings (a reduced learning rate). */
  setOptimizer(spec: OptimizerSpec): void {
    this.optimizer = optimizerFor(spec);
  }

  /** Sums the gradients in participant order, applies the optimizer, sends the new weights. */
  private completeStep(grads: Float32Array[]): void {
    const inflight = this.inflight!;
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
    for (const p of inflight.peers) p.steps++;
    inflight.grads = grads.map(() => undefined);
    this.broadcast(inflight.peers);
  }

  private broadcast(peers: Peer[]): void {
    const frame = this.weightsFrame();
    for (const p of peers) p.link.send(frame);
    this.bytesOut += frame.byteLength * peers.length;
  }

  /** The current weights to a participant that just got ready (not a step's traffic). */
  sendWeights(peer: Peer): void {
    peer.link.send(this.weightsFrame());
  }

  private weightsFrame(): ArrayBuffer {
    const frame = newFrame(FRAME.weights, this.paramCount);
    frame.head[HEAD.step] = this.done;
    frame.vector.set(this.params());
    return frame.buffer;
  }

  /** Starts the profile of an epoch (the first one includes the workers' warm-up). */
  resetProfile(peers: Peer[]): void {
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.reduceMs = 0;
    this.stepCount = 0;
    for (const p of peers) {
      p.computeMs = 0;
      p.exchangeMs = 0;
      p.steps = 0;
    }
  }

  /** Bytes and times per step since the last reset. */
  profile(peers: Peer[]): NetworkProfile {
    const steps = Math.max(1, this.stepCount);
    return {
      steps: this.stepCount,
      bytesInPerStep: this.bytesIn / steps,
      bytesOutPerStep: this.bytesOut / steps,
      reduceMs: this.reduceMs / steps,
      participants: peers.map((p) => ({
        label: p.label,
        slots: p.threads,
        computeMs: p.computeMs / Math.max(1, p.steps),
        exchangeMs: p.exchangeMs / Math.max(1, p.steps),
      })),
    };
  }

  get steps(): number {
    return this.stepCount;
  }
}
