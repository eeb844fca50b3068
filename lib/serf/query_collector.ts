/**
 * The querier's side of a query (wire spec §7.9): acks and responses checked against the query's
 * ID and deadline, deduplicated by sender (acks and responses separately), bounded by the member
 * count at send time, and finished at the deadline.
 *
 * shoal extension: the collector also finishes **early** once every expected responder (the
 * alive members passing the query's filters when it was sent) has responded, and acked when acks
 * were requested. Serf always waits for the full timeout.
 *
 * @example
 * ```ts
 * import { QueryCollector } from "./query_collector.ts";
 * import { type Clock } from "../clock.ts";
 * const clock: Clock = { nowMs: () => 0, setTimer: () => 1, clearTimer: () => {} };
 * const q = new QueryCollector({ id: 7, lTime: 3, deadlineMs: 1000, ackRequested: false,
 *   expected: new Set(["a"]), capacity: 4, clock });
 * q.handle({ lTime: 3, id: 7, from: "a", flags: 0, payload: new Uint8Array([1]) });
 * console.assert(q.finished && q.result().endedEarly);
 * ```
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import type { Address } from "../gossip/types.ts";
import { QUERY_FLAG_ACK, type QueryResponseMessage } from "./messages.ts";

/** One response to a query. */
export interface QueryResponseRecord {
  /** Responder name. */
  readonly from: string;
  /** Its answer. */
  readonly payload: Uint8Array;
  /**
   * The address the answer's packet came from: the responder's, or a relay's when it was
   * relayed; absent for our own answer.
   */
  readonly via?: Address | undefined;
}

/** What a finished (or running) query collected. */
export interface QueryResult {
  /** Who acked. */
  readonly acks: readonly string[];
  /** Who answered what. */
  readonly responses: readonly QueryResponseRecord[];
  /** True when it ended because every expected responder answered. */
  readonly endedEarly: boolean;
}

/** Options of {@linkcode QueryCollector}. */
export interface QueryCollectorOptions {
  readonly id: number;
  readonly lTime: number;
  readonly deadlineMs: number;
  readonly ackRequested: boolean;
  /** Names expected to answer; empty means "nobody", which ends the query at once. */
  readonly expected: ReadonlySet<string>;
  /** Most acks and most responses kept (serf: the member count). */
  readonly capacity: number;
  readonly clock: Clock;
  /** End early when every expected responder answered. @default true */
  readonly endEarly?: boolean;
  readonly onAck?: (from: string) => void;
  readonly onResponse?: (r: QueryResponseRecord) => void;
  readonly onDone?: (r: QueryResult) => void;
}

/** Why a query response was not taken. */
export type CollectOutcome = "accepted" | "mismatch" | "finished" | "duplicate" | "full";

/** Collects the answers to one query; see the module documentation. */
export class QueryCollector {
  readonly #o: QueryCollectorOptions;
  readonly #acks = new Set<string>();
  readonly #responses = new Map<string, Uint8Array>();
  #timer: TimerId | null = null;
  #finished = false;
  #endedEarly = false;
  #waiters: ((r: QueryResult) => void)[] = [];
  /** Answers dropped because `capacity` was reached. */
  dropped = 0;

  /** Starts collecting and arms the deadline timer. */
  constructor(o: QueryCollectorOptions) {
    this.#o = o;
    const delay = Math.max(0, o.deadlineMs - o.clock.nowMs());
    this.#timer = o.clock.setTimer(delay, () => {
      this.#timer = null;
      this.finish();
    });
    this.#checkEarly();
  }

  /** The query's ID. */
  get id(): number {
    return this.#o.id;
  }
  /** The query's Lamport time (the key of pending queries). */
  get lTime(): number {
    return this.#o.lTime;
  }
  /** When the collector stops by itself. */
  get deadlineMs(): number {
    return this.#o.deadlineMs;
  }
  /** The names expected to answer. */
  get expected(): ReadonlySet<string> {
    return this.#o.expected;
  }
  /** True once the deadline passed, all expected answered, or {@linkcode finish} was called. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Takes an ack or a response, which came from `via` (see {@linkcode QueryResponseRecord}). */
  handle(r: Omit<QueryResponseMessage, "type">, via?: Address): CollectOutcome {
    if (r.id !== this.#o.id || r.lTime !== this.#o.lTime) return "mismatch";
    if (this.#finished || this.#o.clock.nowMs() > this.#o.deadlineMs) return "finished";
    if ((r.flags & QUERY_FLAG_ACK) !== 0) {
      if (this.#acks.has(r.from)) return "duplicate";
      if (this.#acks.size >= this.#o.capacity) return (this.dropped++, "full");
      this.#acks.add(r.from);
      this.#o.onAck?.(r.from);
    } else {
      if (this.#responses.has(r.from)) return "duplicate";
      if (this.#responses.size >= this.#o.capacity) return (this.dropped++, "full");
      const payload = r.payload ?? new Uint8Array(0);
      this.#responses.set(r.from, payload);
      this.#o.onResponse?.({ from: r.from, payload, via });
    }
    this.#checkEarly();
    return "accepted";
  }

  #checkEarly(): void {
    if (this.#finished || this.#o.endEarly === false) return;
    for (const name of this.#o.expected) {
      if (!this.#responses.has(name)) return;
      if (this.#o.ackRequested && !this.#acks.has(name)) return;
    }
    this.#endedEarly = true;
    this.finish();
  }

  /** What was collected so far. */
  result(): QueryResult {
    return {
      acks: [...this.#acks],
      responses: [...this.#responses].map(([from, payload]) => ({ from, payload })),
      endedEarly: this.#endedEarly,
    };
  }

  /** Stops collecting (idempotent) and reports the result. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer !== null) this.#o.clock.clearTimer(this.#timer);
    this.#timer = null;
    const r = this.result();
    this.#o.onDone?.(r);
    for (const w of this.#waiters.splice(0)) w(r);
  }

  /** Resolves with the result when the query finishes. */
  done(): Promise<QueryResult> {
    if (this.#finished) return Promise.resolve(this.result());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
