/**
 * An interruptible pause on an injected clock, for the task's retry loops.
 *
 * @module
 */

import type { Clock } from "../../clock.ts";

/** A pause that {@linkcode Sleeper.wake} ends early. */
export class Sleeper {
  readonly #clock: Clock;
  #wake: (() => void) | null = null;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Resolves after `delayMs`, or as soon as {@linkcode wake} is called. */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimer(delayMs, () => {
        this.#wake = null;
        resolve();
      });
      this.#wake = () => {
        this.#clock.clearTimer(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  /** Ends the current pause, if any. */
  wake(): void {
    this.#wake?.();
  }
}
