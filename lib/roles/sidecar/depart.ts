/**
 * Bookkeeping of `depart` queries in progress: which servers each departing node still has in
 * HAProxy, when the answer is due, and the `DepartResponse` to send. Pure: the shell feeds in
 * what HAProxy reported and the time, and sends the responses this returns.
 *
 * A depart is answered once every server of the node is gone from an observation of HAProxy
 * taken after the depart arrived (`drained: true`), or shortly before the query's deadline with
 * the sessions still open (`drained: false`) — never after the deadline.
 *
 * @module
 */

import type { ObservedServer } from "../../haproxy/plan.ts";
import { type DepartResponse, DepartResponseSchema, encodePayload } from "../../proto.ts";

/** Fields of a `DepartResponse`. */
export type DepartAnswer = Pick<
  DepartResponse,
  "accepted" | "reason" | "drained" | "remainingSessions" | "drainMs"
>;

/** A depart waiting for its servers to leave HAProxy. */
export interface PendingDepart {
  /** Identifies the depart in the book (the shell's key for its deadline timer). */
  readonly id: number;
  readonly node: string;
  /** `backend/server` keys being drained. */
  readonly keys: readonly string[];
  readonly receivedMs: number;
  /** When to answer with `drained: false` if the servers are still there. */
  readonly respondByMs: number;
}

/** A depart that is answered now. */
export interface DepartSettlement {
  readonly depart: PendingDepart;
  readonly answer: DepartAnswer;
}

/** What HAProxy reported for a backend (the reconciler's last observation). */
export type ObservedView = (backend: string) => readonly ObservedServer[];

/** Most departs in progress; each comes from the network, so the book is bounded. */
export const PENDING_DEPARTS_MAX = 1024;
/**
 * Shortest time kept between our answer and the query's deadline. Our deadline counts from when
 * the query reached us, the querier's from when it sent it: the query travels by gossip (up to a
 * few gossip intervals of 200 ms on a LAN), and the answer must travel back before that deadline.
 */
export const RESPOND_MARGIN_MIN_MS = 500;
/** Longest time kept between our answer and the query's deadline. */
export const RESPOND_MARGIN_MAX_MS = 2000;

/**
 * When to answer a query received at `receivedMs` that must be answered before `deadlineMs`:
 * a tenth of the time it allows before the deadline, between 500 ms and 2 s, so the response
 * still reaches the querier (whose own deadline started earlier) in time.
 *
 * @example
 * ```ts
 * import { respondByMs } from "./depart.ts";
 * console.assert(respondByMs(0, 10_000) === 9000);
 * console.assert(respondByMs(0, 2000) === 1500);
 * ```
 */
export function respondByMs(receivedMs: number, deadlineMs: number): number {
  const allowed = Math.max(0, deadlineMs - receivedMs);
  const margin = Math.min(RESPOND_MARGIN_MAX_MS, Math.max(RESPOND_MARGIN_MIN_MS, allowed / 10));
  return Math.max(receivedMs, deadlineMs - margin);
}

/** Encodes a {@linkcode DepartAnswer}. */
export function encodeDepartAnswer(answer: DepartAnswer): Uint8Array {
  return encodePayload(DepartResponseSchema, answer);
}

/**
 * Departs in progress.
 *
 * @example
 * ```ts
 * import { DepartBook } from "./depart.ts";
 * const book = new DepartBook();
 * const d = book.open("t1", ["web/shoal-t1"], { receivedMs: 0, deadlineMs: 10_000 });
 * const done = book.settle(() => [], 5, 120); // observed after the depart: the server is gone
 * console.assert(d !== undefined && done[0]?.answer.drained === true && book.size === 0);
 * ```
 */
export class DepartBook {
  readonly #pending = new Map<number, PendingDepart>();
  #nextId = 1;

  /** Departs in progress. */
  get size(): number {
    return this.#pending.size;
  }

  /** Every depart in progress. */
  pending(): PendingDepart[] {
    return [...this.#pending.values()];
  }

  /**
   * Records a depart of `node` whose servers `keys` are draining; undefined when the book is full
   * (the caller answers at once).
   */
  open(
    node: string,
    keys: readonly string[],
    times: { receivedMs: number; deadlineMs: number },
  ): PendingDepart | undefined {
    if (this.#pending.size >= PENDING_DEPARTS_MAX) return undefined;
    const depart: PendingDepart = {
      id: this.#nextId++,
      node,
      keys: [...keys],
      receivedMs: times.receivedMs,
      respondByMs: respondByMs(times.receivedMs, times.deadlineMs),
    };
    this.#pending.set(depart.id, depart);
    return depart;
  }

  /**
   * Settles the departs whose servers are all absent from `view`, an observation of HAProxy
   * taken after `observedAfterMs` (departs received later are not judged by it).
   */
  settle(view: ObservedView, observedAfterMs: number, nowMs: number): DepartSettlement[] {
    const out: DepartSettlement[] = [];
    for (const depart of this.#pending.values()) {
      if (depart.receivedMs > observedAfterMs) continue;
      if (depart.keys.some((key) => findServer(view, key) !== undefined)) continue;
      this.#pending.delete(depart.id);
      out.push({
        depart,
        answer: {
          accepted: true,
          reason: "",
          drained: true,
          remainingSessions: 0,
          drainMs: elapsedMs(depart, nowMs),
        },
      });
    }
    return out;
  }

  /** Settles the departs whose answer is due by `nowMs`, with the sessions `view` still shows. */
  due(view: ObservedView, nowMs: number): DepartSettlement[] {
    const out: DepartSettlement[] = [];
    for (const depart of this.#pending.values()) {
      if (depart.respondByMs > nowMs) continue;
      this.#pending.delete(depart.id);
      out.push({ depart, answer: unfinished(depart, view, nowMs, "drain not finished in time") });
    }
    return out;
  }

  /** Settles every depart (the sidecar is stopping). */
  closeAll(view: ObservedView, nowMs: number, reason: string): DepartSettlement[] {
    const out = [...this.#pending.values()].map((depart) => ({
      depart,
      answer: unfinished(depart, view, nowMs, reason),
    }));
    this.#pending.clear();
    return out;
  }
}

/** Sessions (current and queued) of the depart's servers still present in `view`. */
export function remainingSessions(view: ObservedView, keys: readonly string[]): number {
  let total = 0;
  for (const key of keys) {
    const s = findServer(view, key)?.sessions;
    if (s) total += s.scur + s.qcur;
  }
  return total;
}

function unfinished(
  depart: PendingDepart,
  view: ObservedView,
  nowMs: number,
  reason: string,
): DepartAnswer {
  return {
    accepted: true,
    reason,
    drained: false,
    remainingSessions: remainingSessions(view, depart.keys),
    drainMs: elapsedMs(depart, nowMs),
  };
}

function findServer(view: ObservedView, key: string): ObservedServer | undefined {
  const slash = key.indexOf("/");
  const backend = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return view(backend).find((s) => s.name === name);
}

function elapsedMs(depart: PendingDepart, nowMs: number): number {
  return Math.max(0, Math.min(0xffff_ffff, Math.round(nowMs - depart.receivedMs)));
}
