/**
 * The join loop: a task started before its sidecar (or before DNS knows the sidecar) must not
 * crash, so it resolves its join targets and joins again with backoff until a member answers,
 * logging every attempt.
 *
 * @example
 * ```ts
 * import { joinWithRetry } from "./joiner.ts";
 * import { systemClock } from "../../clock.ts";
 * import { nullLogger } from "../../log/logger.ts";
 * const n = await joinWithRetry({
 *   targets: () => Promise.resolve(["127.0.0.1:7946"]),
 *   join: () => Promise.resolve(1),
 *   clock: systemClock, prng: Math.random, log: nullLogger, signal: new AbortController().signal,
 * });
 * console.assert(n === 1);
 * ```
 *
 * @module
 */

import { Sleeper } from "../../clock.ts";
import { LogThrottle } from "../../log/throttle.ts";
import type { JoinAttempts } from "../rejoin.ts";
import { Backoff, TASK_BACKOFF } from "../backoff.ts";

/** Options of {@linkcode joinWithRetry}. */
export interface JoinWithRetryOptions extends JoinAttempts {
  /** Stops the retries (the task is stopping). */
  readonly signal: AbortSignal;
  /** @default 250 */
  readonly initialMs?: number;
  /** @default 5000 */
  readonly maxMs?: number;
}

/**
 * Joins, retrying with backoff while no member answers. Resolves to the number of members
 * contacted, or 0 when `signal` aborted first. Logs `task.join.attempt` per attempt,
 * `task.join.retry` with the delay, and `task.joined` on success.
 */
export async function joinWithRetry(o: JoinWithRetryOptions): Promise<number> {
  const backoff = new Backoff(o.prng, {
    baseMs: o.initialMs ?? TASK_BACKOFF.baseMs,
    maxMs: o.maxMs ?? TASK_BACKOFF.maxMs,
  });
  const sleeper = new Sleeper(o.clock);
  const throttle = new LogThrottle();
  const onAbort = () => sleeper.wake();
  o.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (let attempt = 1; !o.signal.aborted; attempt++) {
      const addrs = await o.targets();
      o.log[attempt === 1 ? "info" : "debug"]("task.join.attempt", {
        attempt,
        addrs: addrs.join(","),
      });
      const contacted = addrs.length === 0 || o.signal.aborted ? 0 : await o.join(addrs);
      if (contacted > 0) {
        o.log.info("task.joined", { attempt, contacted, addrs: addrs.join(",") });
        return contacted;
      }
      if (o.signal.aborted) break;
      const delayMs = backoff.next();
      const { level, suppressed } = throttle.level(o.clock.nowMs(), "warn");
      o.log[level]("task.join.retry", {
        attempt,
        delay_ms: delayMs,
        suppressed,
        reason: "no member answered",
      });
      await sleeper.sleep(delayMs);
    }
    return 0;
  } finally {
    o.signal.removeEventListener("abort", onAbort);
  }
}
