import { printable } from "../../collective/wire.ts";

/**
 * What connections that never become participants may cost: a wait per address after wrong
 * tokens, and log lines — a summary per interval, not one per refusal.
 */

/** Wrong tokens an address may send before it must wait (1 s, doubling, up to a minute). */
export const FREE_WRONG_TOKENS = 3;
const MAX_BACKOFF_MS = 60_000;
/** Refused attempts are logged as one line per this interval. */
const REFUSAL_SUMMARY_MS = 10_000;

/** "host" of a "host:port" peer address (IPv6 hosts keep their colons). */
export function hostOf(remote: string): string {
  const colon = remote.lastIndexOf(":");
  return colon > 0 ? remote.slice(0, colon) : remote;
}

/** Per address: wrong tokens in a row, and until when its next connection is refused. */
export class WrongTokens {
  private readonly byAddress = new Map<string, { count: number; until: number }>();

  waitMs(address: string): number {
    return Math.max(0, (this.byAddress.get(address)?.until ?? 0) - Date.now());
  }

  wrong(address: string): void {
    const entry = this.byAddress.get(address) ?? { count: 0, until: 0 };
    entry.count++;
    const over = entry.count - FREE_WRONG_TOKENS;
    if (over > 0) entry.until = Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (over - 1));
    this.byAddress.delete(address);
    this.byAddress.set(address, entry);
    // Bounded: the least recently refused addresses are forgotten first.
    if (this.byAddress.size > 10_000) this.byAddress.delete(this.byAddress.keys().next().value!);
  }

  forget(address: string): void {
    this.byAddress.delete(address);
  }
}

/**
 * Refused connection attempts, logged as one line per interval: the first refusal after a
 * quiet interval at once, the rest as a count by reason and address when the interval ends.
 */
export class Refusals {
  private readonly reasons = new Map<string, number>();
  private readonly addresses = new Map<string, number>();
  private total = 0;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly log: (line: string) => void,
    private readonly intervalMs = REFUSAL_SUMMARY_MS,
  ) {}

  note(reason: string, address: string): void {
    if (!this.timer) {
      this.log(`shardfit: refused a connection from ${printable(address, 60)}: ${reason}`);
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      (this.timer as { unref?: () => void }).unref?.();
      return;
    }
    this.total++;
    // Bounded: past 8 distinct reasons or addresses, the rest are counted as "other".
    const count = (map: Map<string, number>, key: string) => {
      const k = map.has(key) || map.size < 8 ? key : "other";
      map.set(k, (map.get(k) ?? 0) + 1);
    };
    count(this.reasons, printable(reason.replace(/\d+/g, "N"), 80));
    count(this.addresses, printable(address, 60));
  }

  /** Logs the interval's count; an interval without refusals ends the summary. */
  flush(final = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.total === 0) return;
    if (!final) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      (this.timer as { unref?: () => void }).unref?.();
    }
    const list = (map: Map<string, number>) =>
      [...map].map(([key, n]) => `${n} × ${key}`).join(", ");
    this.log(
      `shardfit: refused ${this.total} more connection attempt${this.total === 1 ? "" : "s"} (${list(this.reasons)}) from ${list(this.addresses)}`,
    );
    this.reasons.clear();
    this.addresses.clear();
    this.total = 0;
  }
}
