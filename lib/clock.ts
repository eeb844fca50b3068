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

/** Options for {@linkcode sleep} and {@linkcode deadline}. */
export interface SleepOptions {
  /** Ends the wait early: a stopping component does not wait out its pauses. */
  signal?: AbortSignal | undefined;
}

/**
 * Waits `ms` on `clock`; shaped like std's `delay(ms, { signal })`, except that an abort is not an
 * error here (every caller is a loop that is stopping), so it resolves `false` at once instead of
 * rejecting. Resolves `true` when the time has passed. The timer and the listener are always
 * released.
 *
 * @example
 * ```ts
 * import { sleep, systemClock } from "./clock.ts";
 * const ac = new AbortController();
 * ac.abort();
 * console.assert(await sleep(systemClock, 60_000, { signal: ac.signal }) === false);
 * ```
 */
export function sleep(clock: Clock, ms: number, options: SleepOptions = {}): Promise<boolean> {
  const { signal } = options;
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimer(timer);
      resolve(false);
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `promise`'s value, or `undefined` when `ms` pass first on `clock` (or `options.signal` aborts);
 * shaped like std's `deadline(promise, ms, { signal })`, resolving instead of rejecting on time
 * out. A rejection of `promise` within the time propagates.
 *
 * @example
 * ```ts
 * import { deadline, systemClock } from "./clock.ts";
 * console.assert(await deadline(systemClock, 1000, Promise.resolve(7)) === 7);
 * ```
 */
export async function deadline<T>(
  clock: Clock,
  ms: number,
  promise: Promise<T>,
  options: SleepOptions = {},
): Promise<T | undefined> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    return await Promise.race([
      promise,
      sleep(clock, ms, { signal: ac.signal }).then(() => undefined),
    ]);
  } finally {
    options.signal?.removeEventListener("abort", stop);
    ac.abort();
  }
}

/** An AbortSignal that aborts after `timeoutMs` on `clock`, or when `parent` aborts. */
export function timeoutSignal(clock: Clock, timeoutMs: number, parent?: AbortSignal): {
  signal: AbortSignal;
  dispose(): void;
} {
  const ac = new AbortController();
  const id = clock.setTimer(timeoutMs, () => ac.abort());
  const onParent = () => ac.abort();
  parent?.addEventListener("abort", onParent, { once: true });
  if (parent?.aborted) ac.abort();
  return {
    signal: ac.signal,
    dispose() {
      clock.clearTimer(id);
      parent?.removeEventListener("abort", onParent);
    },
  };
}

/**
 * A pause that {@linkcode Sleeper.wake} ends early: a retry loop sleeps, and news that makes
 * waiting pointless (a member joined, a stop) wakes it.
 *
 * @example
 * ```ts
 * import { Sleeper, systemClock } from "./clock.ts";
 * const s = new Sleeper(systemClock);
 * const paused = s.sleep(60_000);
 * s.wake();
 * console.assert(await paused === false);
 * ```
 */
export class Sleeper {
  readonly #clock: Clock;
  #wake: AbortController | null = null;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Like {@linkcode sleep}: `true` after `delayMs`, `false` as soon as {@linkcode wake} is called. */
  async sleep(delayMs: number): Promise<boolean> {
    const wake = new AbortController();
    this.#wake = wake;
    try {
      return await sleep(this.#clock, delayMs, { signal: wake.signal });
    } finally {
      if (this.#wake === wake) this.#wake = null;
    }
  }

  /** Ends the current pause, if any. */
  wake(): void {
    this.#wake?.abort();
  }
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
