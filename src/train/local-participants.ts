import { allocateSharedPlane, SharedPlane } from "../collective/shared-memory.ts";
import { allocateTelemetry, Telemetry } from "../collective/telemetry.ts";
import { type OptimizerSpec, optimizerFor } from "../core/optim/optimizer.ts";
import type { EvalOptions, EvalResult } from "../worker/trainer.ts";
import type { TestHooks } from "./hooks.ts";
import type { EpochAttempt, JoinInfo, NetworkProfile, Participants } from "./participants.ts";
import { type MemberSetup, WorkerPool } from "./pool.ts";
import { superviseAttempt } from "./steps.ts";

export interface LocalOptions {
  readonly workers: number;
  readonly paramCount: number;
  readonly optimizer: OptimizerSpec;
  readonly faults?: TestHooks["faults"];
  /** The run's: aborting it stops the steps and terminates the threads. */
  readonly signal: AbortSignal;
}

/** Worker threads of this process, one per slot, meeting on the SharedArrayBuffer plane. */
export class LocalParticipants implements Participants {
  readonly telemetry: Telemetry;
  private readonly plane: SharedPlane;
  private pool?: WorkerPool;
  /** The optimizer the next step applies (a replacement worker joins with it). */
  private optimizer: OptimizerSpec;

  constructor(private readonly o: LocalOptions) {
    this.optimizer = o.optimizer;
    const stateNames = optimizerFor(o.optimizer).stateNames;
    this.plane = new SharedPlane(allocateSharedPlane(o.workers, o.paramCount, stateNames));
    this.telemetry = new Telemetry(allocateTelemetry(o.workers));
    o.signal.addEventListener("abort", () => this.pool?.terminateAll(), { once: true });
  }

  gather(): Promise<number> {
    return Promise.resolve(this.o.workers);
  }

  start(join: JoinInfo): Promise<void> {
    this.pool = new WorkerPool(this.o.workers, this.memberSetup(join), this.o.signal);
    return this.pool.start();
  }

  replace(slots: number[]): Promise<void> {
    return this.requirePool().replace(slots);
  }

  /** Every thread runs the attempt's steps; the plane's abort flag follows the attempt's signal. */
  async runEpoch({ plans, fromStep, stepTimeoutMs }: EpochAttempt): Promise<void> {
    const members = this.requirePool().all();
    const attempt = new AbortController();
    const stopListening = this.plane.beginAttempt(attempt.signal);
    const globalStep = this.plane.stepsDone;
    try {
      await superviseAttempt({
        parts: members.map((m, w) => ({
          slots: [w],
          label: `worker ${w}`,
          finished: Promise.race([
            m.api.runEpoch({ plan: plans[w], fromStep, globalStep }),
            m.failed,
          ]),
        })),
        stepsDone: () => this.plane.stepsDone,
        stepTimeoutMs,
        signal: this.o.signal,
        attempt,
      });
    } finally {
      stopListening();
    }
  }

  evaluate(options?: EvalOptions): Promise<EvalResult[]> {
    return this.requirePool().each((api) => api.evaluate(undefined, options));
  }

  tensorCount(): Promise<number[]> {
    return this.requirePool().each((api) => api.tensorCount());
  }

  get stateNames(): readonly string[] {
    return this.plane.buffers.stateNames;
  }

  get stepsDone(): number {
    return this.plane.stepsDone;
  }

  params(): Float32Array {
    return this.plane.params();
  }

  state(): readonly Float32Array[] {
    return this.plane.state();
  }

  async setOptimizer(spec: OptimizerSpec): Promise<void> {
    this.optimizer = spec;
    if (this.pool) await this.pool.each((api) => api.setOptimizer(spec));
  }

  load(stepsDone: number, params: Float32Array, state: readonly Float32Array[]): void {
    this.plane.load(stepsDone, params, state);
  }

  close(): Promise<void> {
    this.pool?.terminateAll();
    return Promise.resolve();
  }

  network(): NetworkProfile | undefined {
    return undefined;
  }

  private requirePool(): WorkerPool {
    if (!this.pool) throw new Error("local participants: call start() first");
    return this.pool;
  }

  /** A fresh worker: load the model, join the plane, fetch its shard from the coordinator. */
  private memberSetup(join: JoinInfo): MemberSetup {
    return async ({ api }, worker, spawn) => {
      const fault = this.o.faults?.find((f) => f.worker === worker && (f.repeat || spawn === 0));
      await api.loadModel(join.spec, join.loss);
      await api.joinSharedPlane({
        plane: this.plane.buffers,
        telemetry: this.telemetry.buffers,
        worker,
        optimizer: this.optimizer,
        // Always timed: the dashboard's per-worker step times come from these timers, and
        // a few performance.now() calls cost nothing next to a step.
        profile: true,
        fault,
      });
      await api.loadShard({ url: `${join.shardsUrl}/${worker}`, token: join.shardToken(worker) });
      // Before the clock starts: the first epoch then runs at full speed.
      await api.warmUp(join.slotBatch(worker));
    };
  }
}
