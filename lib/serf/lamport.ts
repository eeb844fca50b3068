/**
 * Lamport clocks with serf's u64 semantics (wire spec §7.5), on JS numbers: values above
 * 2^53 - 1 are refused with {@linkcode LamportOverflowError} instead of silently losing precision.
 *
 * @example
 * ```ts
 * import { LamportClock } from "./lamport.ts";
 * const c = new LamportClock();
 * c.increment(); // 1
 * c.witness(5); // 5 >= 1, so the clock moves to 6
 * console.assert(c.time() === 6);
 * ```
 *
 * @module
 */

import { LamportOverflowError } from "./errors.ts";

/** A Lamport time as decoded from the wire: a number, or a bigint when above 2^53 - 1. */
export type WireLTime = number | bigint;

/** Returns `v` as a safe integer Lamport time, or throws {@linkcode LamportOverflowError}. */
export function toLTime(v: WireLTime): number {
  if (typeof v === "bigint") {
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LamportOverflowError(v);
    return Number(v);
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new LamportOverflowError(v);
  return v;
}

/** A Lamport clock: `witness`, `increment` and `time`, as serf's `LamportClock`. */
export class LamportClock {
  #time: number;

  /** Starts at `initial` (serf's clocks start at 0 and are incremented once at creation). */
  constructor(initial = 0) {
    this.#time = toLTime(initial);
  }

  /** The current value. */
  time(): number {
    return this.#time;
  }

  /** Adds one and returns the new value. */
  increment(): number {
    if (this.#time >= Number.MAX_SAFE_INTEGER) throw new LamportOverflowError(this.#time + 1);
    return ++this.#time;
  }

  /** Moves the clock past `v` when `v >= time()`: afterwards `time() > v`. */
  witness(v: number): void {
    const t = toLTime(v);
    if (t < this.#time) return;
    if (t >= Number.MAX_SAFE_INTEGER) throw new LamportOverflowError(t + 1);
    this.#time = t + 1;
  }
}

/**
 * How far ahead of our clock a remote Lamport time may be. Legitimate clocks grow by one per
 * intent, event or query in the whole cluster: a node that starts from zero and joins a cluster
 * issuing 10 queries a second for 13 years is still within 2^32. A forged value beyond it is
 * refused (issue 13): accepting it would let one packet move every clock to the end of its range.
 */
export const LTIME_AHEAD_MAX = 2 ** 32;
/**
 * Remote Lamport times above this are refused whatever our clock: the remaining 2^52 local
 * increments (a million a second for 142 years) can never reach the safe-integer limit, so a
 * clock that was pushed up step by step still works.
 */
export const LTIME_CEILING = 2 ** 52;

/** True when a remote `v` may be witnessed by a clock at `local` (see {@linkcode LTIME_AHEAD_MAX}). */
export function admissibleLTime(local: number, v: number): boolean {
  return v <= LTIME_CEILING && v - local <= LTIME_AHEAD_MAX;
}
