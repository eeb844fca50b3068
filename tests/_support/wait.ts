/**
 * The one `waitFor`: await a condition on wall time, never a sleep. Tests that start no `serf`
 * import this (or the re-exports in haproxy.ts and supervisor.ts), not serf_agent.ts, so
 * `.ci/peer_tests.ts` does not count them as serf-dependent.
 *
 * @module
 */

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 10_000 */
  timeoutMs?: number;
  /** Pause between checks. @default 20 */
  intervalMs?: number;
}

/**
 * Checks `condition` every `intervalMs` until it returns a truthy value, and returns that value.
 * A check that throws counts as "not yet" (a peer still starting refuses connections); on time
 * out the error names `what` and carries the last such error as its `cause`.
 *
 * `timeoutMs` may also be given alone, and `intervalMs` after it: the call shape of the helpers
 * this one replaced, still used by tests other branches are editing (issue 14 moves them).
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | Promise<T>,
  options: WaitForOptions | number = {},
  intervalMsArg?: number,
): Promise<NonNullable<T>> {
  const o = typeof options === "number"
    ? { timeoutMs: options, intervalMs: intervalMsArg }
    : options;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const intervalMs = o.intervalMs ?? 20;
  const end = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (performance.now() > end) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves like `promise`, or rejects once `timeoutMs` has passed without it settling. */
export async function withDeadline<T>(
  what: string,
  promise: Promise<T>,
  timeoutMs: number,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
