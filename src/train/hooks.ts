import type { Hono } from "hono";
import type { Partition, WorkerPlan } from "../core/data/plan.ts";
import type { FaultInjection } from "../worker/faults.ts";
import type { RunDashboard } from "./dashboard.ts";

/** Test hooks: what tests may change in a run, kept out of the public `TrainOptions`. */
export interface TestHooks {
  /**
   * Replaces the default per-shard shuffle with explicit plans (e.g. the same global
   * batches for any worker count, via `plansFromGlobalBatches`).
   */
  planEpoch?: (partition: Partition, epoch: number) => WorkerPlan[];
  /**
   * Makes a worker fail at a global step. The replacement worker runs clean unless `repeat`
   * is set (then every replacement fails too).
   */
  faults?: (FaultInjection & { worker: number; repeat?: boolean })[];
  /** Shorter deadlines of a networked run's handshake: hello, and welcome → ready. */
  remoteTimeouts?: { helloMs?: number; handshakeMs?: number };
  /** Called with the run's app and its dashboard (when on), e.g. to call `app.request()`. */
  onDashboard?: (app: Hono, dashboard: RunDashboard) => void;
}
