/**
 * Lifeguard local health awareness (wire spec §6.3): a score that rises when we fail probes or
 * must refute accusations, falls on successful probes, and stretches our probe deadline.
 *
 * @example
 * ```ts
 * import { Awareness } from "./awareness.ts";
 * const a = new Awareness(8);
 * a.applyDelta(3);
 * console.assert(a.scaleTimeoutMs(1000) === 4000);
 * ```
 *
 * @module
 */

/** A health score clamped to `0 … max − 1`. */
export class Awareness {
  readonly #max: number;
  #score = 0;

  /** `max` is AwarenessMaxMultiplier (8 in every memberlist profile). */
  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError(`Awareness max must be ≥ 1, got ${max}`);
    this.#max = max;
  }

  /** The current score: 0 is healthy. */
  get score(): number {
    return this.#score;
  }

  /** Adds `delta` (may be negative), clamping to the range. */
  applyDelta(delta: number): void {
    this.#score = Math.min(this.#max - 1, Math.max(0, this.#score + delta));
  }

  /** `timeoutMs × (score + 1)`. */
  scaleTimeoutMs(timeoutMs: number): number {
    return timeoutMs * (this.#score + 1);
  }
}
