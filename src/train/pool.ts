import * as Comlink from "comlink";
import type { TrainerWorker } from "../../workers/trainer-core.ts";

/** One spawned training worker and its Comlink proxy. */
export interface PoolMember {
  readonly worker: Worker;
  readonly api: Comlink.Remote<TrainerWorker>;
  /** Rejects when the worker reports an uncaught error. */
  readonly failed: Promise<never>;
}

const WORKER_URL = new URL("../../workers/trainer.ts", import.meta.url);

export function spawnTrainer(): PoolMember {
  const worker = new Worker(WORKER_URL, { type: "module" });
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

export function terminate(member: PoolMember): void {
  member.api[Comlink.releaseProxy]();
  member.worker.terminate();
}
