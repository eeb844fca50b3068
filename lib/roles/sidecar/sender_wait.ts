/**
 * The sidecar's wait for unknown query senders (issue 19): a query can outrun the gossip that
 * introduces its sender, and a restarted sidecar may not know its tasks yet, so the sidecar
 * joins the address the query came from and holds the query until its sender becomes known. A
 * held query is judged again at its sender's join or update ({@linkcode SenderWaits.wake}) or
 * at its bound, never by polling; at most {@linkcode WAITING_MAX} queries wait at once.
 *
 * @module
 */

import type { Clock, TimerId } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import { joinHostPort } from "../../serf/addr.ts";
import type { QueryEvent } from "../../serf/events.ts";

/** Longest wait for the sender of a query to become a known (for an announce, alive) member. */
const UNKNOWN_SENDER_WAIT_MS = 2000;
/**
 * Most queries waiting for their sender at once. Anyone can send a query naming an invented node,
 * so the waits (each holds the query and a timer) are bounded; past the bound a query from an
 * unknown sender is judged at once (refused as unknown), and the task's announcer retries.
 */
export const WAITING_MAX = 256;
/** The answer must still reach the task before its query's deadline. */
export const UNKNOWN_SENDER_MARGIN_MS = 500;
/** Most joins of unknown announcers at once (each is one push/pull; announces come from anyone). */
const LEARN_JOINS_MAX = 4;

/** The two kinds of query that wait for their sender. */
export type WaitKind = "announce" | "depart";

/** What {@linkcode SenderWaits} works with. */
export interface SenderWaitsOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** Joins a gossip address (`host:port`); without it unknown senders are only waited for. */
  readonly join?: ((addr: string) => Promise<number>) | undefined;
  /** Judges a query again: woken (`mayWait`, it may wait on) or at its bound (it may not). */
  judge(e: QueryEvent, kind: WaitKind, mayWait: boolean): void;
}

/** A query waiting for its sender; judged again at the sender's join or update, or at `timer`. */
interface Waiting {
  readonly kind: WaitKind;
  readonly timer: TimerId;
}

/** See the module documentation. */
export class SenderWaits {
  readonly #o: SenderWaitsOptions;
  /** Queries from a sender not known yet, in arrival order. */
  readonly #waiting = new Map<QueryEvent, Waiting>();
  #fullLogged = false;
  /** Gossip addresses being joined to learn an announcer. */
  readonly #learning = new Set<string>();
  #stopped = false;

  /** No query waits yet. */
  constructor(options: SenderWaitsOptions) {
    this.#o = options;
  }

  /** How many queries wait for their sender (bounded by {@linkcode WAITING_MAX}). */
  get size(): number {
    return this.#waiting.size;
  }

  /** True once {@linkcode SenderWaits.stop} ran. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Drops the queries still waiting (they are not judged). */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#waiting.values()) this.#o.clock.clearTimer(w.timer);
    this.#waiting.clear();
  }

  /**
   * Judges again the queries waiting for `node`: departs first, so that one sent after a waiting
   * announce supersedes it, then announces, each in arrival order.
   */
  wake(node: string): void {
    if (this.#stopped || this.#waiting.size === 0) return;
    const mine = [...this.#waiting].filter(([e]) => e.sourceNode === node);
    for (const kind of ["depart", "announce"] as const) {
      for (const [e, w] of mine) {
        if (w.kind !== kind || this.#waiting.get(e) !== w) continue;
        this.#o.judge(e, kind, true);
      }
    }
  }

  /**
   * Whether `e` waits for its sender: a known sender (or `!mayWait`, or stopped) ends its wait;
   * an unknown one is learnt (the address it queries from is joined) and waited for, until its
   * join or update wakes the query or the wait's bound judges it as it is. True while it waits.
   */
  hold(e: QueryEvent, kind: WaitKind, known: boolean, mayWait: boolean): boolean {
    const w = this.#waiting.get(e);
    if (known || !mayWait || this.#stopped) {
      if (w !== undefined) this.#o.clock.clearTimer(w.timer);
      this.#waiting.delete(e);
      return false;
    }
    if (w !== undefined) return true; // woken by a member that is not the one it waits for yet
    this.#learn(e);
    const clock = this.#o.clock;
    const leftMs = Math.min(
      UNKNOWN_SENDER_WAIT_MS,
      e.deadlineMs - clock.nowMs() - UNKNOWN_SENDER_MARGIN_MS,
    );
    if (leftMs <= 0) return false;
    if (this.#waiting.size >= WAITING_MAX) {
      if (!this.#fullLogged) {
        this.#o.log.warn("sidecar.query.waiting_full", { max: WAITING_MAX, node: e.sourceNode });
      }
      this.#fullLogged = true;
      return false;
    }
    if (this.#waiting.size === 0) this.#fullLogged = false;
    const timer = clock.setTimer(leftMs, () => {
      if (this.#waiting.get(e)?.timer !== timer) return;
      this.#waiting.delete(e);
      this.#o.judge(e, kind, false);
    });
    this.#waiting.set(e, { kind, timer });
    return true;
  }

  /** Joins the address an unknown announcer queried from (bounded; one join per address). */
  #learn(e: QueryEvent): void {
    const join = this.#o.join;
    const { host, port } = e.sourceAddr;
    if (join === undefined || host === "" || port < 1) return;
    const addr = joinHostPort(host, port);
    if (this.#learning.has(addr) || this.#learning.size >= LEARN_JOINS_MAX) return;
    this.#learning.add(addr);
    this.#o.log.info("sidecar.announce.learning", { node: e.sourceNode, addr });
    join(addr).catch(() => 0).finally(() => this.#learning.delete(addr));
  }
}
