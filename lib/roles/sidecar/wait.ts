/**
 * Retrying with backoff until a step succeeds or the sidecar stops: waiting for HAProxy to answer
 * and for the reconciler's first observation, and re-trying `--join` in the background.
 *
 * @module
 */

import { type Clock, type Prng, sleep } from "../../clock.ts";
import { HaproxyConnectionError, HaproxyTimeoutError } from "../../haproxy/errors.ts";
import type { Reconciler } from "../../haproxy/reconciler.ts";
import type { Logger } from "../../log/logger.ts";
import { LogThrottle } from "../../log/throttle.ts";
import { hintField } from "./hints.ts";
import type { GossipRuntime } from "../gossip_runtime.ts";
import { backoffDelayMs, type BackoffOptions } from "../backoff.ts";

/** Waiting for HAProxy: quick at first (it may be starting next to us), then every 2 s at most. */
export const HAPROXY_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 2000 };
/** Re-trying `--join`: every second at first, then every 30 s at most. */
export const JOIN_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000 };

/** What the retry loops need. */
export interface WaitDeps {
  readonly clock: Clock;
  readonly prng: Prng;
  readonly log: Logger;
  /** Aborted when the sidecar stops; the loops then return false. */
  readonly signal: AbortSignal;
}

/**
 * Starts the reconciler once HAProxy answers and has been observed once. Connection failures and
 * timeouts are retried with backoff (HAProxy is not up yet); any other error, such as a
 * `BackendCheckError`, is thrown. Resolves false when stopped first. The first failure is logged
 * at info (HAProxy may be starting beside us), later ones at warn, at most once a minute.
 */
export async function startReconciler(reconciler: Reconciler, deps: WaitDeps): Promise<boolean> {
  const throttle = new LogThrottle();
  const startedMs = deps.clock.nowMs();
  for (let attempt = 0; !deps.signal.aborted; attempt++) {
    try {
      await reconciler.start();
      // start() runs a first pass but does not fail when it does; adoption needs one that worked.
      if (reconciler.passCount === 0) await reconciler.reconcileOnce();
      return true;
    } catch (err) {
      if (!(err instanceof HaproxyConnectionError || err instanceof HaproxyTimeoutError)) throw err;
      const delayMs = backoffDelayMs(attempt, HAPROXY_BACKOFF, deps.prng);
      const { level, suppressed } = throttle.level(
        deps.clock.nowMs(),
        attempt === 0 ? "info" : "warn",
      );
      deps.log[level]("haproxy.waiting", {
        attempt: attempt + 1,
        waited_ms: deps.clock.nowMs() - startedMs,
        delay_ms: delayMs,
        suppressed,
        error: err.message,
        ...hintField(err),
      });
      await sleep(deps.clock, delayMs, { signal: deps.signal });
    }
  }
  return false;
}

/**
 * Joins `addrs`, re-trying with backoff until one answers; calls `onJoined` then. Resolves false
 * when stopped first.
 */
export async function joinWithRetry(
  runtime: GossipRuntime,
  addrs: readonly string[],
  deps: WaitDeps & { onJoined: () => void },
): Promise<boolean> {
  const throttle = new LogThrottle();
  for (let attempt = 0; !deps.signal.aborted; attempt++) {
    if ((await runtime.join(addrs)) > 0) {
      deps.onJoined();
      return true;
    }
    if (deps.signal.aborted) break;
    const delayMs = backoffDelayMs(attempt, JOIN_BACKOFF, deps.prng);
    const { level, suppressed } = throttle.level(deps.clock.nowMs(), "warn");
    deps.log[level]("sidecar.join.retrying", {
      join: addrs.join(","),
      attempt: attempt + 1,
      delay_ms: delayMs,
      suppressed,
    });
    await sleep(deps.clock, delayMs, { signal: deps.signal });
  }
  return false;
}
