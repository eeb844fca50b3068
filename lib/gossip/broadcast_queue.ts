/**
 * memberlist's TransmitLimitedQueue (wire spec §6.5): broadcasts waiting to be piggybacked on
 * gossip, each sent a bounded number of times.
 *
 * Generic and exported: memberlist's own alive/suspect/dead messages use it with named
 * invalidation (a newer message about node X replaces an older one), and the serf layer reuses it
 * for its intent, event and query queues, whose items never invalidate each other.
 *
 * @example
 * ```ts
 * import { TransmitLimitedQueue } from "./broadcast_queue.ts";
 * const q = new TransmitLimitedQueue({ retransmitMult: 4, numNodes: () => 5 });
 * q.queue({ message: new Uint8Array(10), name: "node-a" });
 * q.queue({ message: new Uint8Array(12), name: "node-a" }); // replaces the first
 * console.assert(q.length === 1);
 * console.assert(q.getBroadcasts(2, 1400).length === 1);
 * ```
 *
 * @module
 */

/** One message to gossip. */
export interface Broadcast {
  /** The encoded message, exactly as it goes into a compound part. */
  readonly message: Uint8Array;
  /**
   * Invalidation key: queueing a broadcast with the same name drops the older one. memberlist
   * uses the node name. Leave undefined for unique broadcasts.
   */
  readonly name?: string;
  /**
   * For unnamed broadcasts, whether this one makes `older` obsolete (memberlist's
   * `Invalidates`). Leave undefined for broadcasts that are unique (serf's).
   */
  invalidates?(older: Broadcast): boolean;
  /** Called once when the broadcast is dropped: transmitted enough, invalidated or pruned. */
  finished?(): void;
}

/** Options of {@linkcode TransmitLimitedQueue}. */
export interface TransmitLimitedQueueOptions {
  /** Retransmit multiplier (memberlist RetransmitMult). */
  readonly retransmitMult: number;
  /** The current cluster size estimate, read at every selection. */
  readonly numNodes: () => number;
  /** Called after every {@linkcode TransmitLimitedQueue.queue} (an idle gossip loop resumes). */
  readonly onQueued?: (() => void) | undefined;
}

interface Entry<B extends Broadcast> {
  readonly b: B;
  transmits: number;
  readonly id: number;
}

/** memberlist's retransmit limit: mult × ceil(log10(n + 1)). n < 10 → 1×, < 100 → 2×, < 1000 → 3×. */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** Orders by transmits ascending, then length descending, then newest (highest id) first. */
function before<B extends Broadcast>(a: Entry<B>, b: Entry<B>): boolean {
  if (a.transmits !== b.transmits) return a.transmits < b.transmits;
  if (a.b.message.length !== b.b.message.length) return a.b.message.length > b.b.message.length;
  return a.id > b.id;
}

/** A transmit-limited broadcast queue; see the module documentation. */
export class TransmitLimitedQueue<B extends Broadcast = Broadcast> {
  readonly #opts: TransmitLimitedQueueOptions;
  /** Kept sorted by {@linkcode before}. */
  #items: Entry<B>[] = [];
  readonly #byName = new Map<string, Entry<B>>();
  #nextId = 0;

  constructor(opts: TransmitLimitedQueueOptions) {
    this.#opts = opts;
  }

  /** Broadcasts currently queued. */
  get length(): number {
    return this.#items.length;
  }

  /** Queues `b`, first dropping what it invalidates. */
  queue(b: B): void {
    if (b.name !== undefined) {
      const old = this.#byName.get(b.name);
      if (old) this.#remove(old, true);
    } else if (b.invalidates) {
      for (const e of [...this.#items]) {
        if (e.b.name === undefined && b.invalidates(e.b)) this.#remove(e, true);
      }
    }
    const entry: Entry<B> = { b, transmits: 0, id: this.#nextId++ };
    this.#insert(entry);
    if (b.name !== undefined) this.#byName.set(b.name, entry);
    this.#opts.onQueued?.();
  }

  /**
   * Takes broadcasts that fit in `limitBytes`, each costing its length plus `overheadBytes`, in
   * queue order. Each taken broadcast counts one transmission; at the retransmit limit it is
   * dropped and its `finished` called.
   */
  getBroadcasts(overheadBytes: number, limitBytes: number): Uint8Array[] {
    if (this.#items.length === 0) return [];
    const limit = retransmitLimit(this.#opts.retransmitMult, this.#opts.numNodes());
    const out: Uint8Array[] = [];
    const taken: Entry<B>[] = [];
    let used = 0;
    for (const e of this.#items) {
      const free = limitBytes - used - overheadBytes;
      if (free <= 0) break;
      if (e.b.message.length > free) continue;
      used += overheadBytes + e.b.message.length;
      out.push(e.b.message);
      taken.push(e);
    }
    for (const e of taken) {
      this.#detach(e);
      if (e.transmits + 1 >= limit) {
        if (e.b.name !== undefined) this.#byName.delete(e.b.name);
        e.b.finished?.();
      } else {
        e.transmits++;
        this.#insert(e);
      }
    }
    return out;
  }

  /** Drops the most-transmitted (then smallest, oldest) broadcasts until `maxRetain` remain. */
  prune(maxRetain: number): void {
    while (this.#items.length > Math.max(0, maxRetain)) {
      this.#remove(this.#items[this.#items.length - 1]!, true);
    }
  }

  /** Drops everything, calling each `finished`. */
  reset(): void {
    this.prune(0);
  }

  /** The queued broadcasts in selection order, with transmit counts (for tests and metrics). */
  snapshot(): { broadcast: B; transmits: number }[] {
    return this.#items.map((e) => ({ broadcast: e.b, transmits: e.transmits }));
  }

  #remove(e: Entry<B>, finish: boolean): void {
    this.#detach(e);
    if (e.b.name !== undefined && this.#byName.get(e.b.name) === e) this.#byName.delete(e.b.name);
    if (finish) e.b.finished?.();
  }

  #detach(e: Entry<B>): void {
    const i = this.#items.indexOf(e);
    if (i >= 0) this.#items.splice(i, 1);
  }

  #insert(e: Entry<B>): void {
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.#items[mid]!, e)) lo = mid + 1;
      else hi = mid;
    }
    this.#items.splice(lo, 0, e);
  }
}
