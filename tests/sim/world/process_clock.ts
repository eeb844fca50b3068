/**
 * One simulated process's view of the shared {@linkcode VirtualClock}: its timers die with it.
 * A crashed process stops running at once — nothing it scheduled fires again — which is what a
 * SIGKILL does to a real one.
 *
 * @module
 */

import type { Clock, TimerId } from "../../../lib/clock.ts";
import type { VirtualClock } from "../../_support/virtual_clock.ts";

/** The clock a simulated process is given. */
export class ProcessClock implements Clock {
  readonly #base: VirtualClock;
  readonly #ids = new Set<TimerId>();
  #dead = false;

  constructor(base: VirtualClock) {
    this.#base = base;
  }

  /** False once {@linkcode kill}ed. */
  get alive(): boolean {
    return !this.#dead;
  }

  /** Timers pending for this process. */
  get pending(): number {
    return this.#ids.size;
  }

  nowMs(): number {
    return this.#base.nowMs();
  }

  setTimer(delayMs: number, fn: () => void): TimerId {
    if (this.#dead) return -1;
    const id = this.#base.setTimer(delayMs, () => {
      this.#ids.delete(id);
      if (!this.#dead) fn();
    });
    this.#ids.add(id);
    return id;
  }

  clearTimer(id: TimerId): void {
    this.#ids.delete(id);
    this.#base.clearTimer(id);
  }

  /** The process is gone: cancels every timer and ignores new ones. */
  kill(): void {
    this.#dead = true;
    for (const id of this.#ids) this.#base.clearTimer(id);
    this.#ids.clear();
  }
}
