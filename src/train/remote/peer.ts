import {
  CLOSE,
  type CoordinatorMessage,
  FrameError,
  type Hello,
  MAX_HELLO_TEXT,
  MAX_WORKER_TEXT,
  parseWorkerMessage,
  printable,
  type WorkerMessage,
} from "../../collective/wire.ts";
import type { EvalResult } from "../../worker/trainer.ts";

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

/** A promise with its settle functions, and how it settled (read synchronously). */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  outcome?: { value: T } | { error: Error };
}

export function deferred<T>(): Deferred<T> {
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

export type EpochEnd = Extract<WorkerMessage, { type: "epochEnd" }>;
export type Evaluated = Extract<WorkerMessage, { type: "evaluated" }>;
/** A participant's evaluation, checked and its predictions decoded. */
export interface Evaluation {
  readonly results: EvalResult[];
  readonly tensors: number;
}

/** Where a peer's connection delivers what arrives. */
export interface PeerEvents {
  message(peer: Peer, message: WorkerMessage): void;
  gradient(peer: Peer, data: ArrayBuffer): void;
  closed(peer: Peer): void;
  /** The coordinator closed the peer's connection for `reason` (text the peer may have sent). */
  dropped(peer: Peer, reason: string): void;
}

/** One connected worker process (or stand-in) as the coordinator tracks it. */
export class Peer implements Connection {
  hello?: Hello;
  /** Index in the run's participant order, once admitted. */
  index = -1;
  firstSlot = 0;
  readonly gone = deferred<never>();
  ready = deferred<void>();
  epochEnd = deferred<EpochEnd>();
  evaluated = deferred<Evaluation>();
  /** The latest statistics this peer reported in the current attempt. */
  latest = [0, 0, 0];
  /** Profile of the current epoch's steps. */
  computeMs = 0;
  exchangeMs = 0;
  steps = 0;

  constructor(
    readonly link: Link,
    private readonly events: PeerEvents,
  ) {}

  get label(): string {
    const h = this.hello;
    const threads = h ? `${h.threads} thread${h.threads === 1 ? "" : "s"}` : "? threads";
    const runtime = printable(h?.runtime ?? "?", 100);
    return `participant ${this.index} (${runtime}, ${threads}, ${this.link.remote})`;
  }

  get threads(): number {
    return this.hello?.threads ?? 0;
  }

  /** The slots this peer computes. */
  get slots(): number[] {
    return Array.from({ length: this.threads }, (_, i) => this.firstSlot + i);
  }

  receive(data: string | ArrayBuffer): void {
    try {
      if (typeof data === "string") {
        const limit = this.hello ? MAX_WORKER_TEXT : MAX_HELLO_TEXT;
        this.events.message(this, parseWorkerMessage(data, limit));
      } else {
        this.events.gradient(this, data);
      }
    } catch (error) {
      const code = error instanceof FrameError ? CLOSE.protocol : CLOSE.refused;
      this.drop(code, (error as Error).message);
    }
  }

  closed(code: number, reason: string): void {
    // The reason may be the peer's own words (its close frame).
    const why = reason ? `: ${printable(reason, 123)}` : "";
    this.gone.reject(new Error(`disconnected (${code}${why})`));
    this.events.closed(this);
  }

  send(message: CoordinatorMessage): void {
    this.link.send(JSON.stringify(message));
  }

  /** Closes the connection, telling the worker why. */
  drop(code: number, reason: string): void {
    if (this.gone.outcome) return;
    const text = printable(reason, 300);
    this.events.dropped(this, text);
    if (code === CLOSE.refused) this.send({ type: "refused", reason: text });
    // A close reason is at most 123 bytes of UTF-8: ASCII, and "…" (3 bytes) where cut.
    this.link.close(code, printable(reason, 100).replace(/[^\x20-\x7e…]/g, "?"));
    this.closed(code, text);
  }
}
