import * as Comlink from "comlink";
import { moduleUrl } from "../adapter/module-url.ts";
import type { TrainerWorker } from "../worker/trainer.ts";
import { raceAbort } from "./cancel.ts";

/** One spawned training worker and its Comlink proxy. */
export interface PoolMember {
  readonly worker: Worker;
  readonly api: Comlink.Remote<TrainerWorker>;
  /** Rejects when the worker reports an uncaught error or exits. */
  readonly failed: Promise<never>;
}

/** Prepares a fresh member for slot w (`spawn` counts earlier spawns into that slot). */
export type MemberSetup = (member: PoolMember, w: number, spawn: number) => Promise<void>;

const WORKER_URL = moduleUrl("../../workers/trainer.ts", import.meta.url);

/**
 * The training workers of one run, by slot. A failed member is replaced in its slot; every
 * wait on members also ends when `signal` aborts.
 */
export class WorkerPool {
  private readonly members: (PoolMember | undefined)[];
  private readonly spawns: number[];

  constructor(
    readonly size: number,
    private readonly setup: MemberSetup,
    private readonly signal: AbortSignal,
    /** The worker module (a browser serves its own bundle of it). */
    private readonly workerUrl: URL = WORKER_URL,
  ) {
    this.members = new Array(size);
    this.spawns = new Array(size).fill(0);
  }

  /** Spawns and sets up the members of the given slots (all by default). */
  async start(slots = Array.from({ length: this.size }, (_, w) => w)): Promise<void> {
    await Promise.all(slots.map((w) => this.startSlot(w)));
  }

  /** Terminates the members of `slots` and starts fresh ones in their place. */
  async replace(slots: number[]): Promise<void> {
    for (const w of slots) this.stopSlot(w);
    await this.start(slots);
  }

  /** The live members in slot order (all slots must be started). */
  all(): PoolMember[] {
    return this.members.map((m, w) => {
      if (!m) throw new Error(`worker pool: slot ${w} has no worker`);
      return m;
    });
  }

  /** Calls every member; rejects if the signal aborts first. */
  each<T>(call: (api: Comlink.Remote<TrainerWorker>, w: number) => Promise<T>): Promise<T[]> {
    return raceAbort(Promise.all(this.all().map((m, w) => call(m.api, w))), this.signal);
  }

  terminateAll(): void {
    for (let w = 0; w < this.size; w++) this.stopSlot(w);
  }

  private async startSlot(w: number): Promise<void> {
    const member = spawnTrainer(this.workerUrl);
    this.members[w] = member;
    const spawn = this.spawns[w]++;
    await raceAbort(Promise.race([this.setup(member, w, spawn), member.failed]), this.signal);
  }

  private stopSlot(w: number): void {
    const member = this.members[w];
    if (!member) return;
    member.api[Comlink.releaseProxy]();
    member.worker.terminate();
    this.members[w] = undefined;
  }
}

function spawnTrainer(url: URL): PoolMember {
  const worker = new Worker(url, { type: "module" });
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener("error", (event) => {
      event.preventDefault?.();
      reject(
        new Error(`training worker crashed: ${(event as ErrorEvent).message ?? "unknown error"}`),
      );
    });
    // Bun reports a worker that exited; Deno has no such event (the step deadline catches it).
    worker.addEventListener("close", () => reject(new Error("training worker exited")));
  });
  failed.catch(() => {}); // observed by whoever races it
  return { worker, api: Comlink.wrap<TrainerWorker>(worker), failed };
}
