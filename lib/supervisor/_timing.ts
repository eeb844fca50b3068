/**
 * Small timing helpers over an injected {@linkcode Clock}.
 *
 * @module
 */

import type { Clock } from "../clock.ts";

/** Resolves true after `delayMs`, or false as soon as `signal` aborts. */
export function delay(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimer(id);
      resolve(false);
    };
    const id = clock.setTimer(delayMs, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves with `promise`'s value, or `undefined` if it has not settled within `timeoutMs`. */
export async function within<T>(
  clock: Clock,
  timeoutMs: number,
  promise: Promise<T>,
): Promise<T | undefined> {
  const ac = new AbortController();
  try {
    return await Promise.race([promise, delay(clock, timeoutMs, ac.signal).then(() => undefined)]);
  } finally {
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
