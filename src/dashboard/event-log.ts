/**
 * A bounded history of a run's events plus live subscribers. Runtime-free. The producer (the
 * training loop) only ever calls `push`, which never waits and never runs subscriber code:
 * each subscriber has its own bounded queue that it drains at its own pace.
 */

export interface LoggedEvent<E> {
  /** 1, 2, 3, … in push order (the SSE id). */
  readonly seq: number;
  /** `now()` at push (ms since the Unix epoch by default). */
  readonly time: number;
  readonly event: E;
}

/**
 * "thin": may be downsampled; "latest": only the newest event of this kind is kept (one slot
 * for all "latest" events); "keep": the run's own record, always kept (within `maxKept` and
 * `maxKeptBytes`); "recent": notices, of which only the newest `maxRecent` (and
 * `maxRecentBytes`) are kept, so no flood of them can push out a "keep" event.
 */
export type Retention = "thin" | "latest" | "keep" | "recent";

export interface EventLogOptions<E> {
  retention: (event: E) => Retention;
  /** An event's size in bytes, for the byte bounds (default: its JSON's UTF-8 length). */
  size?: (event: E) => number;
  /** Most "thin" events kept; past it every other one is dropped (default 1000). */
  maxThinned?: number;
  /** Most "keep" events kept; past it the oldest go (default 10 000). */
  maxKept?: number;
  /** Most bytes of "keep" events kept; past it the oldest go (default 8 MiB). */
  maxKeptBytes?: number;
  /** Most "recent" events kept; past it the oldest go (default 200). */
  maxRecent?: number;
  /** Most bytes of "recent" events kept; past it the oldest go (default 256 KiB). */
  maxRecentBytes?: number;
  /** Most events queued for one subscriber (default 2000); see `Subscription`. */
  subscriberQueue?: number;
  now?: () => number;
}

/**
 * A subscriber's view: `history` at the moment it subscribed, then live events via `next()`.
 * A subscriber that falls more than `subscriberQueue` events behind loses its oldest queued
 * events other than "keep" ones; if none are left to drop it is closed (a browser's EventSource then
 * reconnects and resumes from its last id).
 */
export interface Subscription<E> {
  readonly history: readonly LoggedEvent<E>[];
  /** Resolves with the queued events (at least one), or undefined once closed. */
  next(): Promise<LoggedEvent<E>[] | undefined>;
  close(): void;
  readonly closed: boolean;
  readonly queued: number;
  readonly dropped: number;
}

class Subscriber<E> implements Subscription<E> {
  private queue: LoggedEvent<E>[] = [];
  private waiting?: { promise: Promise<LoggedEvent<E>[] | undefined>; resolve: () => void };
  /** No more events will come: `next()` no longer waits. */
  private ending = false;
  closed = false;
  dropped = 0;

  constructor(
    readonly history: readonly LoggedEvent<E>[],
    private readonly limit: number,
    private readonly droppable: (e: E) => boolean,
    private readonly onClose: (s: Subscriber<E>) => void,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  deliver(entry: LoggedEvent<E>): void {
    if (this.closed) return;
    if (this.queue.length >= this.limit) {
      const victim = this.queue.findIndex((e) => this.droppable(e.event));
      if (victim < 0) {
        this.close();
        return;
      }
      this.queue.splice(victim, 1);
      this.dropped++;
    }
    this.queue.push(entry);
    this.waiting?.resolve();
  }

  /** No more events: `next()` gives what is queued, then undefined (the reader then closes). */
  end(): void {
    this.ending = true;
    this.waiting?.resolve();
  }

  next(): Promise<LoggedEvent<E>[] | undefined> {
    // One outstanding promise: a caller that races next() against a timer and calls again
    // must get the same batch, not lose it.
    if (this.waiting) return this.waiting.promise;
    if (this.queue.length > 0 || this.closed || this.ending) return Promise.resolve(this.take());
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    }).then(() => {
      this.waiting = undefined;
      return this.take();
    });
    this.waiting = { promise, resolve };
    return promise;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.waiting?.resolve();
  }

  private take(): LoggedEvent<E>[] | undefined {
    if (this.queue.length === 0) return undefined;
    const batch = this.queue;
    this.queue = [];
    return batch;
  }
}

/** Entries in push order, the oldest dropped past `maxCount` entries or `maxBytes` bytes. */
class BoundedQueue<E> {
  readonly entries: LoggedEvent<E>[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  push(entry: LoggedEvent<E>, size: number): void {
    this.entries.push(entry);
    this.sizes.push(size);
    this.bytes += size;
    while (this.entries.length > this.maxCount || this.bytes > this.maxBytes) {
      this.entries.shift();
      this.bytes -= this.sizes.shift() ?? 0;
    }
  }
}

export class EventLog<E> {
  private seq = 0;
  private readonly kept: BoundedQueue<E>;
  private readonly recent: BoundedQueue<E>;
  private thinned: LoggedEvent<E>[] = [];
  /** Keep one "thin" event out of every `stride` (doubles each time the cap is hit). */
  private stride = 1;
  private thinSeen = 0;
  private lastThin?: LoggedEvent<E>;
  private latest?: LoggedEvent<E>;
  private readonly subscribers = new Set<Subscriber<E>>();
  private readonly maxThinned: number;
  private readonly queueLimit: number;
  private readonly now: () => number;
  private readonly size: (event: E) => number;
  private ended = false;
  private readonly drainWaiters: (() => void)[] = [];

  constructor(private readonly options: EventLogOptions<E>) {
    const bounds = {
      maxThinned: options.maxThinned ?? 1000,
      maxKept: options.maxKept ?? 10_000,
      maxKeptBytes: options.maxKeptBytes ?? 8 * 1024 * 1024,
      maxRecent: options.maxRecent ?? 200,
      maxRecentBytes: options.maxRecentBytes ?? 256 * 1024,
      subscriberQueue: options.subscriberQueue ?? 2000,
    };
    for (const [name, v] of Object.entries(bounds)) {
      if (!Number.isInteger(v) || v < 2) {
        throw new RangeError(`EventLog: ${name} must be an integer ≥ 2, got ${v}`);
      }
    }
    this.maxThinned = bounds.maxThinned;
    this.kept = new BoundedQueue(bounds.maxKept, bounds.maxKeptBytes);
    this.recent = new BoundedQueue(bounds.maxRecent, bounds.maxRecentBytes);
    this.queueLimit = bounds.subscriberQueue;
    this.now = options.now ?? Date.now;
    const utf8 = new TextEncoder();
    this.size = options.size ?? ((event) => utf8.encode(JSON.stringify(event)).length);
  }

  push(event: E): LoggedEvent<E> {
    const entry: LoggedEvent<E> = { seq: ++this.seq, time: this.now(), event };
    if (this.ended) return entry;
    this.remember(entry);
    for (const s of this.subscribers) s.deliver(entry);
    return entry;
  }

  /**
   * No more events: each subscriber gets what it has queued and then the end, later
   * subscribers the history and then the end, later pushes go nowhere.
   */
  end(): void {
    this.ended = true;
    for (const s of this.subscribers) s.end();
  }

  /** Resolves once no subscriber is left (each reader closes after it handled the end). */
  drained(): Promise<void> {
    if (this.subscribers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** What happened so far, in order, within the bounds. */
  history(): LoggedEvent<E>[] {
    const all = [...this.kept.entries, ...this.recent.entries, ...this.thinned];
    if (this.lastThin && this.thinned.at(-1) !== this.lastThin) all.push(this.lastThin);
    if (this.latest) all.push(this.latest);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** History (only entries after `after`, an SSE Last-Event-ID) and then every new event. */
  subscribe(after = 0): Subscription<E> {
    const history = this.history().filter((e) => e.seq > after);
    const droppable = (e: E) => this.options.retention(e) !== "keep";
    const s = new Subscriber(history, this.queueLimit, droppable, (x) => {
      this.subscribers.delete(x);
      if (this.subscribers.size === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
    });
    this.subscribers.add(s);
    if (this.ended) s.end();
    return s;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The last seq pushed (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  private remember(entry: LoggedEvent<E>): void {
    const retention = this.options.retention(entry.event);
    if (retention === "latest") {
      this.latest = entry;
    } else if (retention === "keep" || retention === "recent") {
      (retention === "keep" ? this.kept : this.recent).push(entry, this.size(entry.event));
    } else {
      this.lastThin = entry;
      if (this.thinSeen++ % this.stride !== 0) return;
      this.thinned.push(entry);
      if (this.thinned.length > this.maxThinned) {
        this.thinned = this.thinned.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    }
  }
}
