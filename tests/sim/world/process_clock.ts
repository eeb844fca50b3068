/**
 * One simulated process's view of the shared {@linkcode VirtualClock}: its timers die with it.
 * A crashed process stops running at once — nothing it scheduled fires again — which is what a
 * SIGKILL does to a real one. A frozen process (SIGSTOP, a long GC pause, a stalled VM) runs
 * nothing until it thaws: timers that come due meanwhile, and inbound packets and streams
 * handed to {@linkcode ProcessClock.run}, all run at the thaw, in order, and then the process
 * sees how much time has passed.
 *
 * @module
 */

import type { Clock, TimerId } from "../../../lib/clock.ts";
import type { VirtualClock } from "../../_support/virtual_clock.ts";

/** The clock a simulated process is given. */
export class ProcessClock implements Clock {
  readonly #base: VirtualClock;
  /** Our timer id → the base clock's current id for it. */
  readonly #ids = new Map<TimerId, TimerId>();
  #nextId = 1;
  #dead = false;
  #frozenUntilMs = -Infinity;

  constructor(base: VirtualClock) {
    this.#base = base;
  }

  /** False once {@linkcode kill}ed. */
  get alive(): boolean {
    return !this.#dead;
  }

  /** True while frozen. */
  get frozen(): boolean {
    return this.#base.nowMs() < this.#frozenUntilMs;
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
    const id = this.#nextId++;
    this.#arm(id, delayMs, fn);
    return id;
  }

  clearTimer(id: TimerId): void {
    const baseId = this.#ids.get(id);
    if (baseId !== undefined) this.#base.clearTimer(baseId);
    this.#ids.delete(id);
  }

  /** Runs `fn` now, or at the thaw when frozen; never after death. */
  run(fn: () => void): void {
    if (this.#dead) return;
    if (!this.frozen) return fn();
    this.setTimer(0, fn);
  }

  /** Freezes the process for `ms`. */
  freeze(ms: number): void {
    this.#frozenUntilMs = Math.max(this.#frozenUntilMs, this.#base.nowMs() + ms);
  }

  /** The process is gone: cancels every timer and ignores new ones. */
  kill(): void {
    this.#dead = true;
    for (const baseId of this.#ids.values()) this.#base.clearTimer(baseId);
    this.#ids.clear();
  }

  #arm(id: TimerId, delayMs: number, fn: () => void): void {
    this.#ids.set(
      id,
      this.#base.setTimer(delayMs, () => {
        if (this.#dead || !this.#ids.has(id)) return;
        if (this.frozen) return this.#arm(id, this.#frozenUntilMs - this.#base.nowMs(), fn);
        this.#ids.delete(id);
        fn();
      }),
    );
  }
}
