/**
 * The settings of the {@linkcode Reconciler}.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { PassReport } from "./pass.ts";
import type { RampOptions } from "./ramp.ts";
import { REMOVE_DELAY_MS, REMOVE_SETTLE_MS } from "./plan.ts";

/** Settings of a {@linkcode Reconciler}. */
export interface ReconcilerOptions {
  /** Backends shoal manages; each must take dynamic servers. */
  backends: readonly string[];
  /** Only servers with this name prefix are touched. @default "shoal-" */
  prefix?: string;
  /** Time source for timers and deadlines. @default the client's clock */
  clock?: Clock;
  /** Where `haproxy.*` events are logged. @default nullLogger */
  logger?: Logger;
  /** Interval of the periodic pass (catches reloads, restarts and drift). @default 2000 */
  periodMs?: number;
  /** Delay that coalesces bursts of changes into one pass. @default 10 */
  coalesceMs?: number;
  /** Delay before retrying a failed pass (HAProxy down or restarting). @default 250 */
  retryMs?: number;
  /** Longest graceful drain before sessions are shut down. @default 30000 */
  drainTimeoutMs?: number;
  /** Interval between passes while a drain is waiting for sessions to end. @default 200 */
  drainPollMs?: number;
  /** Pause between a drained server's maintenance and its `del server`. @default 100 */
  removeSettleMs?: number;
  /** How long a server removed at once stays in maintenance before `del server`. @default 5000 */
  removeDelayMs?: number;
  /**
   * Read `show stat` every pass so {@linkcode Reconciler.observed} has every server's sessions
   * (for metrics); otherwise only backends with draining servers are read.
   * @default false
   */
  observeSessions?: boolean;
  /** Optional stepped weight ramp for new servers (an alternative to `slowstartMs`). */
  ramp?: RampOptions;
  /**
   * HAProxy's `server-state-file`: `show servers state` is saved there after every pass, so a
   * reload or restart, whoever triggers it, starts with the slots as they are (slot mode).
   */
  stateFile?: string;
  /**
   * Backend → extra `add server` keywords (`--server-options`), probed at start: a backend whose
   * options HAProxy refuses fails {@linkcode Reconciler.start} with HAProxy's message.
   */
  serverOptions?: ReadonlyMap<string, readonly string[]>;
  /**
   * Sees the report of every completed pass, after {@linkcode Reconciler.observed} and
   * {@linkcode Reconciler.lastPass} have been updated to it (for metrics). An observer that
   * throws is logged as `haproxy.reconcile.observer_failed`; the passes go on.
   */
  onPass?: (report: PassReport) => void;
  /** Sees the error of every pass that failed (HAProxy down, restarting, …); as `onPass`. */
  onPassFailed?: (error: unknown) => void;
}

/** The scalar settings of a {@linkcode Reconciler} with every default filled in. */
export type ReconcilerTiming = Required<
  Omit<
    ReconcilerOptions,
    "ramp" | "logger" | "clock" | "stateFile" | "serverOptions" | "onPass" | "onPassFailed"
  >
>;

/** Fills in the defaults of `options` (backends and prefix already validated by the caller). */
export function resolveTiming(
  options: ReconcilerOptions,
  backends: readonly string[],
  prefix: string,
): ReconcilerTiming {
  return {
    backends,
    prefix,
    periodMs: options.periodMs ?? 2000,
    coalesceMs: options.coalesceMs ?? 10,
    retryMs: options.retryMs ?? 250,
    drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
    drainPollMs: options.drainPollMs ?? 200,
    removeSettleMs: options.removeSettleMs ?? REMOVE_SETTLE_MS,
    removeDelayMs: options.removeDelayMs ?? REMOVE_DELAY_MS,
    observeSessions: options.observeSessions ?? false,
  };
}
