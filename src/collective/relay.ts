import { AbortedError, type Collective } from "./collective.ts";
import {
  allocateSharedPlane,
  SharedPlane,
  type SharedPlaneBuffers,
  sumRows,
} from "./shared-memory.ts";

/**
 * The collective of a worker process that is one participant of a networked run: its K
 * threads first reduce their gradients on shared memory (each thread sums its slice into
 * `sum`), then thread 0 asks its process's main thread — which holds the connection — to send
 * `sum` to the coordinator and write the weights that come back into the next params copy.
 * The optimizer runs at the coordinator only, so a worker process keeps no optimizer state.
 */
export interface RelayBuffers extends SharedPlaneBuffers {
  /** The process's reduced gradient of the current step. */
  readonly sum: SharedArrayBuffer;
}

export function allocateRelayPlane(threads: number, paramCount: number): RelayBuffers {
  return {
    ...allocateSharedPlane(threads, paramCount, []),
    sum: new SharedArrayBuffer(paramCount * Float32Array.BYTES_PER_ELEMENT),
  };
}

/** What thread 0 posts to the main thread, and what comes back. */
export type RelayRequest = { readonly step: number };
export type RelayReply = { readonly ok: boolean };

/** Thread `slot`'s side; only thread 0 gets the port to the main thread. */
export class RelayCollective extends SharedPlane implements Collective {
  readonly gradient: Float32Array;
  private readonly sum: Float32Array;
  private readonly lo: number;
  private readonly hi: number;

  constructor(
    buffers: RelayBuffers,
    readonly slot: number,
    private readonly port?: MessagePort,
  ) {
    super(buffers);
    this.gradient = this.gradRows[slot];
    this.sum = new Float32Array(buffers.sum);
    [this.lo, this.hi] = this.slice(slot);
  }

  get size(): number {
    return this.buffers.workers;
  }

  async reduceAndUpdate(step: number): Promise<void> {
    this.barrier();
    sumRows(this.gradRows, this.sum, this.lo, this.hi);
    this.barrier();
    if (this.port) await this.exchange(this.port, step);
    this.barrier();
    this.finishStep(step);
  }

  /** Hands `sum` to the main thread; resolves once params(step + 1) holds the new weights. */
  private exchange(port: MessagePort, step: number): Promise<void> {
    return new Promise((resolve, reject) => {
      port.onmessage = (event: MessageEvent<RelayReply>) =>
        event.data.ok ? resolve() : reject(new AbortedError());
      port.postMessage({ step } satisfies RelayRequest);
    });
  }
}
