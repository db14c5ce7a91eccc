import type { Telemetry } from "../collective/telemetry.ts";
import type { WorkerPlan } from "../core/data/plan.ts";
import type { LossName } from "../core/loss/loss.ts";
import type { ModelSpec } from "../core/model/sequential.ts";
import type { OptimizerSpec } from "../core/optim/optimizer.ts";
import type { ParticipantReport } from "../core/run/events.ts";
import type { EvalOptions, EvalResult } from "../worker/trainer.ts";

/** What every participant needs to take part: the model and where its slots' shards are. */
export interface JoinInfo {
  readonly spec: ModelSpec;
  /** The loss the model trains with. */
  readonly loss: LossName;
  readonly optimizer: OptimizerSpec;
  /** `${shardsUrl}/${slot}` serves slot's shard. */
  readonly shardsUrl: string;
  /** The bearer token of one slot's shard (a participant gets only its own slots' tokens). */
  readonly shardToken: (slot: number) => string;
  /** Samples one slot takes per step, for the warm-up before the clock starts. */
  readonly slotBatch: (slot: number) => number;
  /** Samples in one slot's shard, by split (what its evaluation of that split must count). */
  readonly slotCount: (slot: number, split: "train" | "test") => number;
}

/** One attempt at the rest of an epoch. */
export interface EpochAttempt {
  /** One plan per slot. */
  readonly plans: WorkerPlan[];
  /** First step of the epoch to run. */
  readonly fromStep: number;
  readonly stepTimeoutMs: number;
}

/** Bytes and milliseconds of a networked run's steps, for benchmarks and `--json`. */
export interface NetworkProfile {
  steps: number;
  bytesInPerStep: number;
  bytesOutPerStep: number;
  /** Mean milliseconds per step at the coordinator: the sum over participants + optimizer. */
  reduceMs: number;
  participants: ParticipantReport[];
}

/**
 * The participants of a run as the coordinator drives them, whatever carries their steps:
 * worker threads on shared memory (LocalParticipants) or worker processes over the network
 * (RemoteParticipants). The global batch is split over `slots` gradient rows; a participant
 * computes one or more slots. Both are built with the run's AbortSignal: when it aborts, every
 * step in flight stops and every wait rejects with its reason.
 */
export interface Participants {
  /** Waits until the run's participants are present; returns the number of slots. */
  gather(): Promise<number>;
  /** Loads the model and each slot's shard into the participants. */
  start(join: JoinInfo): Promise<void>;
  /** Replaces the participants computing `slots` (they failed) with fresh ones. */
  replace(slots: number[]): Promise<void>;
  /** Runs the attempt's steps; a failure throws a StepFailure naming the slots to replace. */
  runEpoch(attempt: EpochAttempt): Promise<void>;
  /**
   * Test-set results of every slot's shard at the current weights; per-sample predictions
   * when asked for and the participants can send them (local threads do).
   */
  evaluate(options?: EvalOptions): Promise<EvalResult[]>;
  /** Live tfjs tensors per participant (a leak check). */
  tensorCount(): Promise<number[]>;
  /** Training statistics and (when profiling) phase timers of the current epoch. */
  readonly telemetry: Telemetry;
  readonly stateNames: readonly string[];
  readonly stepsDone: number;
  params(): Float32Array;
  state(): readonly Float32Array[];
  /** Between epochs only: the optimizer's new settings (the same type: its state carries on). */
  setOptimizer(spec: OptimizerSpec): Promise<void>;
  /** Between epochs only: sets the weights and optimizer state the next step reads. */
  load(stepsDone: number, params: Float32Array, state: readonly Float32Array[]): void;
  close(): Promise<void>;
  /** The last epoch's networked steps, per participant; undefined for this process's threads. */
  network(): NetworkProfile | undefined;
}

/** One participant's share of a step, for progress lines and dashboards. */
export type { ParticipantReport };
