import {
  CLOSE,
  FrameError,
  type Hello,
  PROTOCOL_VERSION,
  printable,
  SHARDFIT_VERSION,
} from "../../collective/wire.ts";
import { raceAbort } from "../cancel.ts";
import {
  type Connection,
  deferred,
  type Link,
  Peer,
  type PeerEvents,
  type StandIn,
} from "./peer.ts";
import { hostOf, Refusals, WrongTokens } from "./refusals.ts";
import { timingSafeEqualText } from "./token.ts";

export interface AdmissionOptions {
  /** Participants to wait for before the run starts. */
  readonly expect: number;
  readonly token: string;
  readonly signal: AbortSignal;
  /** Replaces lost participants when no spare has joined; without it the run waits for one. */
  readonly standIn?: StandIn;
  /** A connection that has not said hello by then is closed. */
  readonly helloTimeoutMs?: number;
  readonly log: (line: string) => void;
}

/** Connections that have not yet said a valid hello, at most; more are refused at once. */
export const MAX_PENDING = 64;

/**
 * Who takes part: checks each connection's hello (version, token), admits the first `expect`
 * at their ranks, keeps later ones as spares, and finds the replacement for a lost participant.
 */
export class Admission {
  /** The run's participants, by index (complete once gathered). */
  readonly peers: Peer[] = [];
  /** Authenticated workers that joined after the run had all its participants. */
  private readonly lobby: Peer[] = [];
  private readonly gathered = deferred<number>();
  private spareJoined = deferred<void>();
  /** Once the run has started, places are no longer freed and every hello is a spare. */
  started = false;
  /** Connections that have not said a valid hello yet. */
  private readonly pending = new Set<Peer>();
  private readonly backoff = new WrongTokens();
  readonly refusals: Refusals;

  constructor(
    private readonly o: AdmissionOptions,
    private readonly events: PeerEvents,
  ) {
    this.refusals = new Refusals(o.log);
  }

  /**
   * A new connection; it must say hello within the timeout. Refused at once when too many
   * others are still at that stage, or its address sent too many wrong tokens lately.
   */
  connect(link: Link): Connection {
    const address = hostOf(link.remote);
    const wait = this.backoff.waitMs(address);
    const refusal =
      this.pending.size >= MAX_PENDING
        ? `too many connections waiting for their handshake (${MAX_PENDING}); try again later`
        : wait > 0
          ? `too many wrong tokens from ${address}; try again in ${Math.ceil(wait / 1000)} s`
          : undefined;
    if (refusal) {
      this.refusals.note(refusal, address);
      link.send(JSON.stringify({ type: "refused", reason: refusal }));
      link.close(CLOSE.refused, refusal);
      return { receive: () => {}, closed: () => {} };
    }
    const peer = new Peer(link, this.events);
    this.pending.add(peer);
    const timer = setTimeout(() => {
      if (!peer.hello) peer.drop(CLOSE.refused, "no hello within the handshake timeout");
    }, this.o.helloTimeoutMs ?? 10_000);
    peer.gone.promise.catch(() => clearTimeout(timer));
    return peer;
  }

  /** The coordinator closed a connection: an unauthenticated one is counted, not logged. */
  dropped(peer: Peer, reason: string): void {
    if (this.pending.has(peer)) this.refusals.note(reason, hostOf(peer.link.remote));
    else this.o.log(`shardfit: ${peer.label}: ${reason}`);
  }

  /** Stops the refusal summary's timer, logging what it still holds. */
  close(): void {
    this.refusals.flush(true);
  }

  /** Resolves with the run's slot count once `expect` participants have said hello. */
  gather(): Promise<number> {
    return raceAbort(this.gathered.promise, this.o.signal);
  }

  /** Every connected peer, participants and spares. */
  all(): Peer[] {
    return [...this.peers, ...this.lobby];
  }

  hello(peer: Peer, hello: Hello): void {
    if (peer.hello) throw new FrameError("a second hello");
    if (hello.protocol !== PROTOCOL_VERSION || hello.version !== SHARDFIT_VERSION) {
      throw new Error(
        `version mismatch: the worker runs shardfit ${printable(hello.version, 32)} (protocol ${hello.protocol}), this coordinator runs ${SHARDFIT_VERSION} (protocol ${PROTOCOL_VERSION})`,
      );
    }
    const address = hostOf(peer.link.remote);
    if (!timingSafeEqualText(hello.token, this.o.token)) {
      this.backoff.wrong(address);
      throw new Error("wrong run token");
    }
    this.backoff.forget(address);
    this.pending.delete(peer);
    peer.hello = hello;
    if (this.peers.length < this.o.expect && !this.started) {
      this.admit(peer, hello.rank);
    } else if (this.lobby.length >= MAX_PENDING) {
      throw new Error(`the run has ${MAX_PENDING} spares already`);
    } else {
      this.lobby.push(peer);
      this.o.log(`shardfit: ${peer.label}: joined as a spare (the run has all its participants)`);
      this.spareJoined.resolve();
      this.spareJoined = deferred<void>();
    }
  }

  /** A connection closed: a spare leaves the lobby; before the start, a participant its place. */
  left(peer: Peer): void {
    this.pending.delete(peer);
    const i = this.lobby.indexOf(peer);
    if (i >= 0) this.lobby.splice(i, 1);
    const j = this.peers.indexOf(peer);
    if (j >= 0 && !this.started && this.peers.length < this.o.expect) this.peers.splice(j, 1);
  }

  /**
   * Puts a replacement in the lost participant's place: a spare with the same thread count;
   * without one, stand-in threads in this process — or, when those are off, the run pauses
   * until a worker joins (e.g. Kubernetes restarts a pod).
   */
  async replace(old: Peer): Promise<Peer> {
    const peer = await this.replacementFor(old);
    peer.index = old.index;
    peer.firstSlot = old.firstSlot;
    this.peers[old.index] = peer;
    const last = old.firstSlot + old.threads - 1;
    this.o.log(`shardfit: ${peer.label} takes over slots ${old.firstSlot}..${last}`);
    return peer;
  }

  private async replacementFor(old: Peer): Promise<Peer> {
    const { standIn } = this.o;
    for (;;) {
      const spare = this.lobby.findIndex((p) => p.threads === old.threads);
      if (spare >= 0) return this.lobby.splice(spare, 1)[0];
      if (standIn) return this.standIn(old, standIn);
      this.o.log(
        `shardfit: paused: waiting for a worker with ${old.threads} thread(s) to take over participant ${old.index} (run the join command again)`,
      );
      await raceAbort(this.spareJoined.promise, this.o.signal);
    }
  }

  /** Takes the peer into the run's participants before it starts (at its rank, if asked). */
  private admit(peer: Peer, rank: number | undefined): void {
    const taken = new Set(this.peers.map((p) => p.index));
    if (rank !== undefined && (rank >= this.o.expect || taken.has(rank))) {
      throw new Error(
        rank >= this.o.expect
          ? `rank ${rank} is out of range: this run expects ranks 0..${this.o.expect - 1}`
          : `rank ${rank} has already joined`,
      );
    }
    let index = rank ?? 0;
    while (rank === undefined && taken.has(index)) index++;
    peer.index = index;
    this.peers.push(peer);
    this.o.log(`shardfit: ${peer.label} joined (${this.peers.length}/${this.o.expect})`);
    if (this.peers.length < this.o.expect) return;
    this.peers.sort((a, b) => a.index - b.index);
    let slot = 0;
    for (const p of this.peers) {
      p.firstSlot = slot;
      slot += p.threads;
    }
    this.gathered.resolve(slot);
  }

  private standIn(old: Peer, standIn: StandIn): Peer {
    let inner: Link | undefined;
    const link: Link = {
      send: (data) => inner?.send(data),
      close: (code, reason) => inner?.close(code, reason),
      remote: "the coordinator's process",
    };
    const peer = new Peer(link, this.events);
    inner = standIn(old.threads, peer);
    peer.hello = { ...(old.hello as Hello), runtime: "stand-in", rank: undefined };
    return peer;
  }
}
