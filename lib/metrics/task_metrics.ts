/**
 * The metrics `shoal task` exports. The role creates them once with {@linkcode createTaskMetrics}
 * and records into the returned handles.
 *
 * @module
 */

import type { Histogram } from "./histogram.ts";
import type { Counter, Gauge } from "./instruments.ts";
import type { Registry } from "./registry.ts";
import { QUERY_DURATION_BUCKETS } from "./sidecar_metrics.ts";

/** Metric names of the task. */
export const TASK_METRIC_NAMES = {
  /** Gauge: 1 for the worker's current `state`, 0 for the others. */
  workerState: "shoal_task_worker_state",
  /** Gauge: seconds from the worker's start until it was ready (0 until then). */
  readySeconds: "shoal_task_ready_seconds",
  /** Counter: health checks by `result` (pass, fail). */
  healthChecks: "shoal_task_health_checks_total",
  /** Gauge: 1 while the worker is healthy (after `--health-rise` passes), else 0. */
  healthy: "shoal_task_healthy",
  /** Counter: announce replies by `result` (accepted, rejected, timeout, error). */
  announces: "shoal_task_announces_total",
  /** Histogram: seconds from sending an announce until its first accepting reply. */
  announceDuration: "shoal_task_announce_duration_seconds",
  /** Gauge: sidecars that accepted the task's current announce. */
  registered: "shoal_task_registered",
} as const;

/** The worker's lifecycle states, values of the `state` label. */
export const WORKER_STATES = ["starting", "ready", "draining", "stopping", "exited"] as const;
/** One worker lifecycle state. */
export type WorkerState = typeof WORKER_STATES[number];
/** Values of the `result` label of `shoal_task_health_checks_total`. */
export type HealthResult = "pass" | "fail";
/** Values of the `result` label of `shoal_task_announces_total`. */
export type AnnounceResult = "accepted" | "rejected" | "timeout" | "error";

/** The task's metric handles. */
export interface TaskMetrics {
  readonly workerState: Gauge<"state">;
  readonly readySeconds: Gauge;
  readonly healthChecks: Counter<"result">;
  readonly healthy: Gauge;
  readonly announces: Counter<"result">;
  readonly announceDuration: Histogram;
  readonly registered: Gauge;
  /** Sets `shoal_task_worker_state` to 1 for `state` and 0 for every other state. */
  setWorkerState(state: WorkerState): void;
}

/**
 * Defines the task's metrics in `registry`; the worker starts in `starting`.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { createTaskMetrics } from "./task_metrics.ts";
 * const registry = new Registry();
 * const m = createTaskMetrics(registry);
 * m.setWorkerState("ready");
 * console.assert(registry.render().includes('shoal_task_worker_state{state="ready"} 1'));
 * ```
 */
export function createTaskMetrics(registry: Registry): TaskMetrics {
  const n = TASK_METRIC_NAMES;
  const workerState = registry.gauge({
    name: n.workerState,
    help: "1 for the worker's current lifecycle state, 0 for the others.",
    labelNames: ["state"],
  });
  const setWorkerState = (state: WorkerState) => {
    for (const s of WORKER_STATES) workerState.set({ state: s }, s === state ? 1 : 0);
  };
  setWorkerState("starting");
  return {
    workerState,
    setWorkerState,
    readySeconds: registry.gauge({
      name: n.readySeconds,
      help: "Seconds from the worker's start until it passed its readiness check.",
    }),
    healthChecks: registry.counter({
      name: n.healthChecks,
      help: "Periodic health checks by result (pass, fail).",
      labelNames: ["result"],
    }),
    healthy: registry.gauge({
      name: n.healthy,
      help: "1 while the worker is healthy, 0 otherwise.",
    }),
    announces: registry.counter({
      name: n.announces,
      help: "Announce outcomes by result (accepted, rejected, timeout, error).",
      labelNames: ["result"],
    }),
    announceDuration: registry.histogram({
      name: n.announceDuration,
      help: "Seconds from sending an announce until the first accepting reply.",
      buckets: QUERY_DURATION_BUCKETS,
    }),
    registered: registry.gauge({
      name: n.registered,
      help: "Sidecars that accepted the task's current announce.",
    }),
  };
}
