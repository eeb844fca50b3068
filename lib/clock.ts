/**
 * Injected time and randomness.
 *
 * Nothing below a composition root reads `Date.now()`, `setTimeout` or `Math.random()` directly:
 * it receives a {@linkcode Clock} and a {@linkcode Prng}. Tests and the simulator substitute a
 * virtual clock and a seeded generator, so one seed reproduces a whole run.
 *
 * @module
 */

/** A handle returned by {@linkcode Clock.setTimer}. */
export type TimerId = number;

/** Time and timers. */
export interface Clock {
  /** Milliseconds since an arbitrary epoch; never decreases. */
  nowMs(): number;
  /** Calls `fn` once, after `delayMs`: never before {@linkcode nowMs} has advanced by it. */
  setTimer(delayMs: number, fn: () => void): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimer(id: TimerId): void;
}

/** A source of uniformly distributed numbers in [0, 1). */
export type Prng = () => number;

/** Our timer id → the `setTimeout` currently standing for it. */
const systemTimers = new Map<TimerId, ReturnType<typeof setTimeout>>();
let nextSystemTimer = 1;

/**
 * The wall clock, on `performance.now()` and `setTimeout`.
 *
 * `setTimeout` works in whole milliseconds of an event-loop time that lags `performance.now()`,
 * so a fractional delay (`respondByMs - nowMs()`) can fire up to a millisecond early by
 * `performance.now()`; a caller that then checks "is it due yet?" finds it is not and, with no
 * timer left, never acts. So a timer that fires early is re-armed for what is left.
 */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimer(delayMs, fn) {
    const id = nextSystemTimer++;
    const dueMs = performance.now() + Math.max(0, delayMs);
    const arm = (waitMs: number) => {
      systemTimers.set(
        id,
        setTimeout(() => {
          const leftMs = dueMs - performance.now();
          if (leftMs > 0) return arm(leftMs);
          systemTimers.delete(id);
          fn();
        }, Math.ceil(waitMs)),
      );
    };
    arm(Math.max(0, delayMs));
    return id;
  },
  clearTimer(id) {
    const timer = systemTimers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    systemTimers.delete(id);
  },
};

/**
 * A small, fast, seedable generator (mulberry32). Not for cryptography.
 *
 * @example
 * ```ts
 * import { seededPrng } from "./clock.ts";
 * const a = seededPrng(42), b = seededPrng(42);
 * console.assert(a() === b());
 * ```
 */
export function seededPrng(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n) drawn from `prng`. */
export function randomInt(prng: Prng, n: number): number {
  return Math.floor(prng() * n);
}

/** Shuffles `items` in place (Fisher–Yates) with `prng` and returns it. */
export function shuffle<T>(prng: Prng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(prng, i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}
