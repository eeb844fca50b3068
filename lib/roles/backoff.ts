/**
 * Retry delays shared by the roles: exponential backoff with "equal jitter" (each delay drawn from
 * the upper half of its step), so many nodes restarted together do not retry in step.
 * Pure: the random source is passed in.
 *
 * @module
 */

import type { Prng } from "../clock.ts";

/** Settings of {@linkcode backoffDelayMs}. */
export interface BackoffOptions {
  /** Delay of the first retry (before jitter). */
  readonly baseMs: number;
  /** Longest delay (before jitter). */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (0-based): `baseMs * 2^attempt`, capped at `maxMs`, then
 * scaled by a random factor in [0.5, 1) so many sidecars restarted together do not retry in step.
 *
 * @example
 * ```ts
 * import { backoffDelayMs } from "./backoff.ts";
 * const d = backoffDelayMs(10, { baseMs: 100, maxMs: 2000 }, () => 0);
 * console.assert(d === 1000);
 * ```
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, prng: Prng): number {
  const exp = options.baseMs * 2 ** Math.min(Math.max(0, attempt), 30);
  const capped = Math.min(options.maxMs, exp);
  return Math.floor(capped * (0.5 + prng() / 2));
}

/**
 * The task's join and announce retries: 250 ms doubling to 5 s, so a sidecar that appears is
 * found within about 5 s.
 */
export const TASK_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 5_000 };

/**
 * Counts attempts and hands out {@linkcode backoffDelayMs} delays for them: a retry loop's state.
 *
 * @example
 * ```ts
 * import { Backoff, TASK_BACKOFF } from "./backoff.ts";
 * const b = new Backoff(() => 0.999, TASK_BACKOFF);
 * console.assert(b.next() <= 250 && b.next() <= 500 && b.next() <= 1000);
 * ```
 */
export class Backoff {
  readonly #prng: Prng;
  readonly #options: BackoffOptions;
  #attempts = 0;

  /** Throws `RangeError` unless `0 < baseMs <= maxMs`. */
  constructor(prng: Prng, options: BackoffOptions) {
    if (!(options.baseMs > 0 && options.maxMs >= options.baseMs)) {
      throw new RangeError(`Invalid backoff: baseMs ${options.baseMs}, maxMs ${options.maxMs}`);
    }
    this.#prng = prng;
    this.#options = options;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The next delay, in [step/2, step); the step then doubles, up to `maxMs`. */
  next(): number {
    return backoffDelayMs(this.#attempts++, this.#options, this.#prng);
  }

  /** Back to the first step (after a success). */
  reset(): void {
    this.#attempts = 0;
  }
}
