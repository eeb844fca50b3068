/**
 * Token buckets that bound what network input may cost per second (issue 13): decompressed bytes
 * across all packets, and names a source host may add to the member table. Pure: the caller
 * passes the time.
 *
 * @example
 * ```ts
 * import { RateBudget } from "./rate_budget.ts";
 * const b = new RateBudget({ capacity: 10, perSecond: 10 });
 * console.assert(b.available(0) === 10);
 * b.spend(10, 0);
 * console.assert(b.available(500) === 5);
 * ```
 *
 * @module
 */

/** Options of {@linkcode RateBudget}. */
export interface RateBudgetOptions {
  /** Most that can be spent at once (the bucket starts full). */
  readonly capacity: number;
  /** Refill rate. */
  readonly perSecond: number;
}

/** A token bucket on an injected clock. */
export class RateBudget {
  readonly #o: RateBudgetOptions;
  #level: number;
  #atMs: number | null = null;

  constructor(o: RateBudgetOptions) {
    this.#o = o;
    this.#level = o.capacity;
  }

  /** What may be spent at `nowMs`. */
  available(nowMs: number): number {
    if (this.#atMs !== null && nowMs > this.#atMs) {
      const refill = ((nowMs - this.#atMs) / 1000) * this.#o.perSecond;
      this.#level = Math.min(this.#o.capacity, this.#level + refill);
    }
    this.#atMs = nowMs;
    return Math.floor(this.#level);
  }

  /** Spends `n` (may go below zero: the next refills pay it back). */
  spend(n: number, nowMs: number): void {
    this.available(nowMs);
    this.#level -= n;
  }

  /** True when full at `nowMs` (an idle bucket that can be forgotten). */
  isFull(nowMs: number): boolean {
    return this.available(nowMs) >= this.#o.capacity;
  }
}

/** Per-key budgets (one per source host), forgetting full ones so the map stays small. */
export class KeyedBudgets {
  readonly #o: RateBudgetOptions & { readonly keysMax: number };
  readonly #byKey = new Map<string, RateBudget>();

  constructor(o: RateBudgetOptions & { readonly keysMax: number }) {
    this.#o = o;
  }

  /** Spends one for `key` when available; false when its budget is used up. */
  take(key: string, nowMs: number): boolean {
    let b = this.#byKey.get(key);
    if (b === undefined) {
      if (this.#byKey.size >= this.#o.keysMax) this.#sweep(nowMs);
      if (this.#byKey.size >= this.#o.keysMax) return false;
      b = new RateBudget(this.#o);
      this.#byKey.set(key, b);
    }
    if (b.available(nowMs) < 1) return false;
    b.spend(1, nowMs);
    return true;
  }

  #sweep(nowMs: number): void {
    for (const [k, b] of this.#byKey) if (b.isFull(nowMs)) this.#byKey.delete(k);
  }
}
