/**
 * A virtual {@linkcode Clock} for deterministic tests and simulations: time moves only when the
 * test advances it, and timers run in due-time order (ties in the order they were set).
 *
 * Async work (simulated streams) registers itself with {@linkcode VirtualClock.holdAsync}; while
 * any is held, the clock drains pending microtasks after every timer so promise continuations run
 * at the virtual instant they were resolved.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "./virtual_clock.ts";
 * const clock = new VirtualClock();
 * let fired = 0;
 * clock.setTimer(100, () => fired++);
 * await clock.advance(99);
 * console.assert(fired === 0);
 * await clock.advance(1);
 * console.assert(fired === 1 && clock.nowMs() === 100);
 * ```
 *
 * @module
 */

import type { Clock, TimerId } from "../../lib/clock.ts";

interface Timer {
  readonly id: TimerId;
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** Microtask hops drained after each timer while async work is held. */
const DRAIN_HOPS = 64;

function earlier(a: Timer, b: Timer): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}

/** A clock whose time only moves when told to. */
export class VirtualClock implements Clock {
  #now: number;
  #heap: Timer[] = [];
  readonly #live = new Set<TimerId>();
  #nextId = 1;
  #seq = 0;
  #async = 0;
  /** Called after every timer runs (invariant checks); may throw to stop the run. */
  afterEach: (() => void) | null = null;

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  nowMs(): number {
    return this.#now;
  }

  setTimer(delayMs: number, fn: () => void): TimerId {
    const id = this.#nextId++;
    const dueMs = this.#now + Math.max(0, delayMs);
    this.#push({ id, dueMs, seq: this.#seq++, fn });
    this.#live.add(id);
    return id;
  }

  clearTimer(id: TimerId): void {
    this.#live.delete(id);
  }

  /** Timers still pending. */
  get pendingTimers(): number {
    return this.#live.size;
  }

  /** Marks async work in progress; call the returned function when it is done. */
  holdAsync(): () => void {
    this.#async++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#async--;
    };
  }

  /** Runs every timer due within `ms` from now, in order, then sets the time to now + `ms`. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Runs every timer due at or before `targetMs`, then sets the time to `targetMs`. */
  async advanceTo(targetMs: number): Promise<void> {
    await this.#drain();
    while (this.#heap.length > 0 && this.#heap[0]!.dueMs <= targetMs) {
      const t = this.#pop();
      if (!this.#live.delete(t.id)) continue;
      this.#now = Math.max(this.#now, t.dueMs);
      t.fn();
      if (this.#async > 0) await this.#drain();
      this.afterEach?.();
    }
    this.#now = Math.max(this.#now, targetMs);
    await this.#drain();
  }

  /** Advances in `stepMs` steps until `cond()` holds; returns the time it held, or null at `deadlineMs`. */
  async advanceUntil(cond: () => boolean, deadlineMs: number, stepMs = 10): Promise<number | null> {
    while (!cond()) {
      if (this.#now >= deadlineMs) return null;
      await this.advanceTo(Math.min(deadlineMs, this.#now + stepMs));
    }
    return this.#now;
  }

  async #drain(): Promise<void> {
    for (let i = 0; i < DRAIN_HOPS; i++) await null;
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Timer {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && earlier(h[l]!, h[m]!)) m = l;
        if (r < h.length && earlier(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
