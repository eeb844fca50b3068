/**
 * The SWIM core's timers: one-shot and periodic (with a random initial stagger, as memberlist's
 * `triggerFunc`), all cancelled together when the core stops.
 *
 * @module
 */

import type { Clock, Prng, TimerId } from "../clock.ts";

/** Timers on an injected clock that fire only while `running()` says so. */
export class LoopTimers {
  readonly #clock: Clock;
  readonly #prng: Prng;
  readonly #running: () => boolean;
  readonly #timers = new Set<TimerId>();

  /** Creates the timers; a callback runs only while `running()` is true when it fires. */
  constructor(clock: Clock, prng: Prng, running: () => boolean) {
    this.#clock = clock;
    this.#prng = prng;
    this.#running = running;
  }

  /** A random delay in `[0, intervalMs)`, so nodes started together do not tick together. */
  stagger(intervalMs: number): number {
    return Math.floor(this.#prng() * intervalMs);
  }

  /** A ticker with a random initial stagger, as memberlist's triggerFunc; none for 0 or less. */
  every(intervalMs: number, fn: () => void): void {
    if (intervalMs <= 0) return;
    const tick = () => {
      this.after(intervalMs, tick);
      fn();
    };
    this.after(this.stagger(intervalMs), tick);
  }

  /** Runs `fn` once after `delayMs`. */
  after(delayMs: number, fn: () => void): void {
    const id = this.#clock.setTimer(delayMs, () => {
      this.#timers.delete(id);
      if (this.#running()) fn();
    });
    this.#timers.add(id);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const t of this.#timers) this.#clock.clearTimer(t);
    this.#timers.clear();
  }
}
