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
