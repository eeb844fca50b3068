/**
 * The event stream serf hands to the application: member events, user events and queries (with a
 * function to respond), and a bounded queue that drops and counts on overflow.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./events.ts";
 * const q = new EventQueue(1);
 * q.push({ type: "user", lTime: 1, name: "a", payload: new Uint8Array(), coalesce: false });
 * q.push({ type: "user", lTime: 2, name: "b", payload: new Uint8Array(), coalesce: false });
 * console.assert(q.length === 1 && q.dropped === 1);
 * ```
 *
 * @module
 */

import type { MemberEvent } from "./members.ts";

/** A user event as delivered. */
export interface UserEvent {
  /** Discriminator. */
  readonly type: "user";
  /** Lamport time it was sent at. */
  readonly lTime: number;
  /** Event or query name. */
  readonly name: string;
  /** Opaque payload. */
  readonly payload: Uint8Array;
  /** The sender allows coalescing. */
  readonly coalesce: boolean;
}

/** A query as delivered; answer it (at most once, before `deadlineMs`) with `respond`. */
export interface QueryEvent {
  /** Discriminator. */
  readonly type: "query";
  /** Lamport time it was sent at. */
  readonly lTime: number;
  /** The query ID (31-bit). */
  readonly id: number;
  /** Event or query name. */
  readonly name: string;
  /** Opaque payload. */
  readonly payload: Uint8Array;
  /** The querier. */
  readonly sourceNode: string;
  /**
   * Where the querier says it gossips (the query's Addr/Port; responses go there). Self-declared:
   * compare it with the gossip address of the member holding `sourceNode` before trusting it.
   */
  readonly sourceAddr: { readonly host: string; readonly port: number };
  /** Respond before this (clock time). */
  readonly deadlineMs: number;
  /**
   * Sends our one response. Throws `QueryResponseError` when already answered or past the
   * deadline, `SizeLimitError` when the encoded response exceeds the limit.
   */
  respond(payload: Uint8Array): void;
}

/** Everything serf reports to the application. */
export type SerfEvent = MemberEvent | UserEvent | QueryEvent;

/** Queue depth used when a subscriber does not choose one. */
export const EVENT_QUEUE_DEPTH_DEFAULT = 1024;

/** A bounded FIFO of events; pushes beyond `capacity` are dropped and counted. */
export class EventQueue {
  readonly #items: SerfEvent[] = [];
  readonly #capacity: number;
  #waiter: (() => void) | null = null;
  #closed = false;
  /** Events dropped because the queue was full. */
  dropped = 0;

  /** A queue holding at most `capacity` events. */
  constructor(capacity = EVENT_QUEUE_DEPTH_DEFAULT) {
    this.#capacity = capacity;
  }

  /** Events waiting. */
  get length(): number {
    return this.#items.length;
  }

  /** Adds an event, or drops and counts it when full or closed. */
  push(e: SerfEvent): void {
    if (this.#closed || this.#items.length >= this.#capacity) {
      this.dropped++;
      return;
    }
    this.#items.push(e);
    this.#wake();
  }

  /** Takes up to `max` events. */
  take(max = Infinity): SerfEvent[] {
    return this.#items.splice(0, Math.min(max, this.#items.length));
  }

  /** Resolves when an event is waiting or the queue is closed. */
  wait(): Promise<void> {
    if (this.#items.length > 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** Stops accepting events and wakes a waiter. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }
  /** True after {@linkcode close}. */
  get closed(): boolean {
    return this.#closed;
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }

  /** Yields events until closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<SerfEvent> {
    while (true) {
      await this.wait();
      const batch = this.take();
      for (const e of batch) yield e;
      if (batch.length === 0 && this.#closed) return;
    }
  }
}

/**
 * A queue fed by `subscribe`; overflow is dropped and counted in `counters.eventsDropped`.
 * Closing the queue unsubscribes it at the next event.
 */
export function subscribedQueue(
  subscribe: (listener: (e: SerfEvent) => void) => () => void,
  counters: { eventsDropped: number },
  capacity?: number,
): EventQueue {
  const q = new EventQueue(capacity);
  const off = subscribe((e) => {
    if (q.closed) return void off();
    const before = q.dropped;
    q.push(e);
    if (q.dropped > before) counters.eventsDropped++;
  });
  return q;
}
