/**
 * Serf's three broadcast queues (join/leave intents, queries, user events), each bounded by
 * `queueDepthMax` (the oldest are pruned and counted), and the order they share a gossip packet
 * in: intents first, then queries, then events.
 *
 * @module
 */

import { TransmitLimitedQueue } from "../gossip/broadcast_queue.ts";
import type { SerfCounters } from "./counters.ts";

/** What {@linkcode SerfBroadcasts} needs from its serf instance. */
export interface SerfBroadcastsOptions {
  readonly retransmitMult: number;
  /** Most broadcasts one queue keeps. */
  readonly queueDepthMax: number;
  /** Members known now (the retransmit limit grows with it). */
  readonly numNodes: () => number;
  /** Where pruned broadcasts are counted. */
  readonly counters: Pick<SerfCounters, "broadcastsPruned">;
  /** Called after each broadcast is queued (memberlist's idle gossip loop resumes). */
  readonly onQueued?: (() => void) | undefined;
}

/** The queues; see the module documentation. */
export class SerfBroadcasts {
  /** Join/leave intents waiting to be gossiped. */
  readonly intents: TransmitLimitedQueue;
  /** Queries waiting to be gossiped. */
  readonly queries: TransmitLimitedQueue;
  /** User events waiting to be gossiped. */
  readonly events: TransmitLimitedQueue;
  readonly #o: SerfBroadcastsOptions;

  /** Creates three empty queues. */
  constructor(opts: SerfBroadcastsOptions) {
    this.#o = opts;
    const queueOpts = {
      retransmitMult: opts.retransmitMult,
      numNodes: opts.numNodes,
      onQueued: opts.onQueued,
    };
    this.intents = new TransmitLimitedQueue(queueOpts);
    this.queries = new TransmitLimitedQueue(queueOpts);
    this.events = new TransmitLimitedQueue(queueOpts);
  }

  /** Queues `raw` on `q`, pruning the oldest beyond `queueDepthMax`; `finished` as the queue's. */
  queue(q: TransmitLimitedQueue, raw: Uint8Array, finished?: () => void): void {
    q.queue(finished ? { message: raw, finished } : { message: raw });
    const max = this.#o.queueDepthMax;
    if (q.length > max) {
      this.#o.counters.broadcastsPruned += q.length - max;
      q.prune(max);
    }
  }

  /** Queues an intent; `finished` runs once it was sent enough times or pruned. */
  intent(raw: Uint8Array, finished?: () => void): void {
    this.queue(this.intents, raw, finished);
  }

  /** Queues a query. */
  query(raw: Uint8Array): void {
    this.queue(this.queries, raw);
  }

  /** Queues a user event. */
  event(raw: Uint8Array): void {
    this.queue(this.events, raw);
  }

  /** Broadcasts waiting in the three queues. */
  get pending(): number {
    return this.intents.length + this.queries.length + this.events.length;
  }

  /** Intents first, then queries, then events, all within `limitBytes`. */
  getBroadcasts(overheadBytes: number, limitBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let used = 0;
    for (const q of [this.intents, this.queries, this.events]) {
      const got = q.getBroadcasts(overheadBytes, limitBytes - used);
      for (const b of got) used += b.length + overheadBytes;
      out.push(...got);
    }
    return out;
  }
}
