/**
 * Exponential backoff with jitter for the task's join and announce retries. Pure: the caller
 * owns the timer; randomness comes from an injected {@linkcode Prng}.
 *
 * @example
 * ```ts
 * import { Backoff } from "./backoff.ts";
 * const b = new Backoff({ prng: () => 0.999 });
 * console.assert(b.next() <= 250 && b.next() <= 500 && b.next() <= 1000);
 * ```
 *
 * @module
 */

import type { Prng } from "../../clock.ts";
import { backoffDelayMs } from "../backoff.ts";

/** Options of {@linkcode Backoff}. */
export interface BackoffOptions {
  /** Source of jitter. */
  readonly prng: Prng;
  /** The first step. @default 250 */
  readonly initialMs?: number;
  /** Steps stop growing here. @default 5000 */
  readonly maxMs?: number;
  /** Growth per attempt. @default 2 */
  readonly factor?: number;
}

/** First retry delay of the task's loops. */
export const BACKOFF_INITIAL_MS = 250;
/** Longest retry delay: a sidecar that appears is found within about this long. */
export const BACKOFF_MAX_MS = 5_000;

/**
 * Delays of 250 ms, 500 ms, 1 s … capped at 5 s, each drawn uniformly from the upper half of its
 * step ("equal jitter") so tasks started together do not retry in lockstep.
 */
export class Backoff {
  readonly #prng: Prng;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  #attempts = 0;

  constructor(options: BackoffOptions) {
    this.#prng = options.prng;
    this.#initialMs = options.initialMs ?? BACKOFF_INITIAL_MS;
    this.#maxMs = options.maxMs ?? BACKOFF_MAX_MS;
    this.#factor = options.factor ?? 2;
    if (!(this.#initialMs > 0 && this.#maxMs >= this.#initialMs && this.#factor >= 1)) {
      throw new RangeError(
        `Invalid backoff: initialMs ${this.#initialMs}, maxMs ${this.#maxMs}, factor ${this.#factor}`,
      );
    }
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The next delay, in [step/2, step); the step then grows. */
  next(): number {
    const attempt = this.#attempts++;
    if (this.#factor === 2) {
      return backoffDelayMs(attempt, { baseMs: this.#initialMs, maxMs: this.#maxMs }, this.#prng);
    }
    const step = Math.min(this.#maxMs, this.#initialMs * this.#factor ** Math.min(attempt, 64));
    return Math.floor(step / 2 + (step / 2) * this.#prng());
  }

  /** Back to the first step (after a success). */
  reset(): void {
    this.#attempts = 0;
  }
}
