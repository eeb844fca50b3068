/**
 * The metrics `shoal sidecar` exports. The role creates them once with
 * {@linkcode createSidecarMetrics} and records into the returned handles.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Histogram } from "./histogram.ts";
import type { Counter, Gauge } from "./instruments.ts";
import type { Registry } from "./registry.ts";

/** Metric names of the sidecar. */
export const SIDECAR_METRIC_NAMES = {
  /** Gauge: gossip members by `status` (alive, leaving, left, failed). */
  members: "shoal_sidecar_members",
  /** Gauge: managed HAProxy servers by `backend` and `state` (ready, drain, maint). */
  servers: "shoal_sidecar_servers",
  /** Counter: reconcile runs by `result` (ok, error). */
  reconcileRuns: "shoal_sidecar_reconcile_runs_total",
  /** Gauge: managed servers not in maintenance by `backend` and health `check` result. */
  serverChecks: "shoal_sidecar_server_checks",
  /** Counter: finished drains by `result` (drained: sessions ended; deadline: cut at the timeout). */
  drains: "shoal_sidecar_drains_total",
  /**
   * Counter: HAProxy changed behind the reconciler's back (a server it had settled went missing,
   * changed state, weight or checks, or an unclaimed managed server appeared), by `backend` and
   * the repairing `action`. Ordinary adds and removes are not drift.
   */
  driftCorrections: "shoal_sidecar_drift_corrections_total",
  /** Counter: failed HAProxy runtime API commands by error `kind`. */
  haproxyCommandErrors: "shoal_sidecar_haproxy_command_errors_total",
  /**
   * Counter: announce and depart queries handled and solicit rounds run, by `query` and `result`;
   * each also observes `queryDuration`, so the histogram's `_count` equals this counter's sum.
   */
  queries: "shoal_sidecar_queries_total",
  /** Counter: answers to solicit rounds registered, by `result`. */
  solicitAnswers: "shoal_sidecar_solicit_answers_total",
  /** Histogram: seconds to handle a query (announce/depart) or run a solicit round, by `query`. */
  queryDuration: "shoal_sidecar_query_duration_seconds",
  /** Gauge: seconds since HAProxy last answered a command; `+Inf` before the first answer. */
  haproxyContactAge: "shoal_sidecar_haproxy_contact_age_seconds",
} as const;

/** Values of the `status` label of `shoal_sidecar_members` (serf's member statuses). */
export type MemberStatus = "alive" | "leaving" | "left" | "failed";
/** Values of the `state` label of `shoal_sidecar_servers`. */
export type ServerState = "ready" | "drain" | "maint";
/** Values of the `check` label of `shoal_sidecar_server_checks` (HAProxy's operational state). */
export type ServerCheck = "up" | "down" | "starting" | "unchecked";
/** Values of the `result` label of `shoal_sidecar_drains_total`. */
export type DrainResult = "drained" | "deadline";
/** Values of the `action` label of `shoal_sidecar_drift_corrections_total`. */
export type DriftAction = "add" | "remove" | "set_state" | "set_weight" | "enable_health";
/** Values of the `query` label. */
export type SidecarQuery = "announce" | "depart" | "solicit";
/** Values of the `result` label of `shoal_sidecar_queries_total`. */
export type QueryResult = "accepted" | "rejected" | "error";
/** Values of the `kind` label of `shoal_sidecar_haproxy_command_errors_total`. */
export type { HaproxyErrorKind } from "../haproxy/errors.ts";

/** Buckets for query handling and solicit rounds: 1 ms to 30 s. */
export const QUERY_DURATION_BUCKETS: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** The sidecar's metric handles. */
export interface SidecarMetrics {
  readonly members: Gauge<"status">;
  readonly servers: Gauge<"backend" | "state">;
  readonly serverChecks: Gauge<"backend" | "check">;
  readonly drains: Counter<"result">;
  readonly solicitAnswers: Counter<"result">;
  readonly reconcileRuns: Counter<"result">;
  readonly driftCorrections: Counter<"backend" | "action">;
  readonly haproxyCommandErrors: Counter<"kind">;
  readonly queries: Counter<"query" | "result">;
  readonly queryDuration: Histogram<"query">;
  /** Records that HAProxy answered a command at `nowMs` (the clock's time). */
  haproxyContacted(nowMs: number): void;
  /** When HAProxy last answered (the clock's time); null before the first answer. */
  readonly lastContactMs: number | null;
}

/**
 * Defines the sidecar's metrics in `registry`. `clock` computes the HAProxy contact age at scrape
 * time.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { createSidecarMetrics } from "./sidecar_metrics.ts";
 * const registry = new Registry();
 * const m = createSidecarMetrics(registry, { clock: { nowMs: () => 5000 } });
 * m.haproxyContacted(3000);
 * m.queries.inc({ query: "announce", result: "accepted" });
 * console.assert(registry.render().includes("shoal_sidecar_haproxy_contact_age_seconds 2\n"));
 * ```
 */
export function createSidecarMetrics(
  registry: Registry,
  deps: { readonly clock: Pick<Clock, "nowMs"> },
): SidecarMetrics {
  const n = SIDECAR_METRIC_NAMES;
  let lastContactMs: number | null = null;
  registry.gaugeFunc({
    name: n.haproxyContactAge,
    help: "Seconds since HAProxy last answered a runtime API command (+Inf before the first).",
    collect: () =>
      lastContactMs === null ? Infinity : Math.max(0, deps.clock.nowMs() - lastContactMs) / 1000,
  });
  return {
    members: registry.gauge({
      name: n.members,
      help: "Gossip members by status.",
      labelNames: ["status"],
    }),
    servers: registry.gauge({
      name: n.servers,
      help: "Managed HAProxy servers by backend and state (ready, drain, maint).",
      labelNames: ["backend", "state"],
    }),
    serverChecks: registry.gauge({
      name: n.serverChecks,
      help: "Managed HAProxy servers not in maintenance by backend and check (up, down, " +
        "starting, unchecked).",
      labelNames: ["backend", "check"],
    }),
    drains: registry.counter({
      name: n.drains,
      help: "Finished drains by result (drained: sessions ended; deadline: cut at the timeout).",
      labelNames: ["result"],
    }),
    solicitAnswers: registry.counter({
      name: n.solicitAnswers,
      help: "Answers to solicit rounds by result (accepted, rejected, error).",
      labelNames: ["result"],
    }),
    reconcileRuns: registry.counter({
      name: n.reconcileRuns,
      help: "Reconcile runs by result (ok, error).",
      labelNames: ["result"],
    }),
    driftCorrections: registry.counter({
      name: n.driftCorrections,
      help: "Changes HAProxy made behind shoal's back that reconciliation repaired " +
        "(not ordinary adds and removes).",
      labelNames: ["backend", "action"],
    }),
    haproxyCommandErrors: registry.counter({
      name: n.haproxyCommandErrors,
      help: "HAProxy runtime API commands that failed, by error kind.",
      labelNames: ["kind"],
    }),
    queries: registry.counter({
      name: n.queries,
      help: "Announce and depart queries handled and solicit rounds run, by result.",
      labelNames: ["query", "result"],
    }),
    queryDuration: registry.histogram({
      name: n.queryDuration,
      help: "Seconds to handle an announce or depart, or to run a solicit round.",
      labelNames: ["query"],
      buckets: QUERY_DURATION_BUCKETS,
    }),
    haproxyContacted(nowMs: number): void {
      lastContactMs = lastContactMs === null ? nowMs : Math.max(lastContactMs, nowMs);
    },
    get lastContactMs(): number | null {
      return lastContactMs;
    },
  };
}
