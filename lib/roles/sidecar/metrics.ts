/**
 * Recording the sidecar's metrics (`shoal_sidecar_*`): HAProxy command results from the runtime
 * client's `onResults` hook, reconcile runs, drift, drains and servers from the reconciler's
 * `onPass` / `onPassFailed` observers (never from log events), members, and query counts and
 * durations from the service.
 *
 * @module
 */

import type { Clock } from "../../clock.ts";
import type { CommandResult } from "../../haproxy/client.ts";
import { errorKind, HaproxyCommandError } from "../../haproxy/errors.ts";
import { isManagedName } from "../../haproxy/names.ts";
import type { ObservedServer, PlanStep } from "../../haproxy/plan.ts";
import type { PassReport } from "../../haproxy/pass.ts";
import type { Reconciler } from "../../haproxy/reconciler.ts";
import type { HealthStatus } from "../../metrics/server.ts";
import type {
  DriftAction,
  QueryResult,
  ServerCheck,
  ServerState,
  SidecarMetrics,
  SidecarQuery,
} from "../../metrics/sidecar_metrics.ts";
import { type Member, MEMBER_STATUS_NAMES } from "../../serf/members.ts";
import { DriftTracker } from "./drift.ts";

/** The `kind` label of a failed HAProxy command (defined beside the error classes). */
export { errorKind } from "../../haproxy/errors.ts";

const STEP_ACTIONS: Record<PlanStep["kind"], DriftAction> = {
  add: "add",
  replace: "add",
  delete: "remove",
  ready: "set_state",
  drain: "set_state",
  maint: "set_state",
  setWeight: "set_weight",
  enableHealth: "enable_health",
};
const MEMBER_STATUSES = ["alive", "leaving", "left", "failed"] as const;
const SERVER_STATES: readonly ServerState[] = ["ready", "drain", "maint"];
const SERVER_CHECKS: readonly ServerCheck[] = ["up", "down", "starting", "unchecked"];

/** A server's check result from HAProxy's `srv_op_state` (0 stopped, 1 starting, 2 running). */
function serverCheck(s: ObservedServer): ServerCheck {
  if (!s.checkEnabled) return "unchecked";
  if (s.opState === 1) return "starting";
  return s.opState === 0 ? "down" : "up";
}

/** Feeds {@linkcode SidecarMetrics}; see the module documentation. */
export class SidecarMeter {
  readonly #m: SidecarMetrics;
  readonly #clock: Pick<Clock, "nowMs">;
  #drift: DriftTracker | undefined;

  constructor(metrics: SidecarMetrics, deps: { clock: Pick<Clock, "nowMs"> }) {
    this.#m = metrics;
    this.#clock = deps.clock;
  }

  /**
   * Records HAProxy command results: an answer (even an error reply) is contact. Until HAProxy has
   * answered once, failing to reach it is waiting for it to start, not an error, and not counted.
   */
  commandResults(results: readonly CommandResult[]): void {
    const nowMs = this.#clock.nowMs();
    for (const r of results) {
      if (r.ok || r.error instanceof HaproxyCommandError) this.#m.haproxyContacted(nowMs);
      if (r.ok) continue;
      const kind = errorKind(r.error);
      const waiting = this.#m.lastContactMs === null &&
        (kind === "connection" || kind === "timeout");
      if (!waiting) this.#m.haproxyCommandErrors.inc({ kind });
    }
  }

  /** Counts a pass that failed (the reconciler's `onPassFailed`). */
  passFailed(): void {
    this.#m.reconcileRuns.inc({ result: "error" });
  }

  /** Sets the members gauge from serf's member list. */
  members(list: readonly Member[]): void {
    const counts = new Map<string, number>(MEMBER_STATUSES.map((s) => [s, 0]));
    for (const m of list) {
      const status = MEMBER_STATUS_NAMES[m.status];
      if (counts.has(status)) counts.set(status, counts.get(status)! + 1);
    }
    for (const status of MEMBER_STATUSES) {
      this.#m.members.set({ status }, counts.get(status)!);
    }
  }

  /** Sets the servers and server-check gauges of `backend` from what HAProxy reported. */
  servers(backend: string, observed: readonly ObservedServer[], prefix: string): void {
    const managed = observed.filter((s) => isManagedName(s.name, prefix));
    for (const state of SERVER_STATES) {
      this.#m.servers.set({ backend, state }, managed.filter((s) => s.admin === state).length);
    }
    const serving = managed.filter((s) => s.admin !== "maint");
    for (const check of SERVER_CHECKS) {
      const n = serving.filter((s) => serverCheck(s) === check).length;
      this.#m.serverChecks.set({ backend, check }, n);
    }
  }

  /**
   * A completed pass (the reconciler's `onPass`, called once `reconciler` reflects `report`):
   * counts the run, sets the server gauges of every backend, then counts drift and finished
   * drains from the pass's steps (see `drift.ts`).
   */
  pass(
    report: PassReport,
    reconciler: Pick<Reconciler, "desired" | "observed">,
    backends: readonly string[],
    prefix: string,
  ): void {
    this.#m.reconcileRuns.inc({ result: "ok" });
    for (const b of backends) this.servers(b, reconciler.observed(b), prefix);
    const outcomes = report.outcomes;
    this.#drift ??= new DriftTracker(prefix);
    const { drift, drains } = this.#drift.pass({
      desired: new Map(backends.map((b) => [b, reconciler.desired(b)])),
      observed: new Map(backends.map((b) => [b, reconciler.observed(b)])),
      outcomes,
    });
    for (const step of drift) {
      this.#m.driftCorrections.inc({ backend: step.backend, action: STEP_ACTIONS[step.kind] });
    }
    if (drains.drained > 0) this.#m.drains.inc({ result: "drained" }, drains.drained);
    if (drains.deadline > 0) this.#m.drains.inc({ result: "deadline" }, drains.deadline);
  }

  /**
   * Counts a handled announce or depart with how long it took. An answer to a solicit round is
   * counted in `shoal_sidecar_solicit_answers_total`; the round itself in {@linkcode solicitRound}.
   */
  query(query: SidecarQuery, result: QueryResult, seconds: number): void {
    if (query === "solicit") {
      this.#m.solicitAnswers.inc({ result });
      return;
    }
    this.#m.queries.inc({ query, result });
    this.#m.queryDuration.observe({ query }, seconds);
  }

  /** Counts a solicit round and records how long it took. */
  solicitRound(seconds: number, result: QueryResult = "accepted"): void {
    this.#m.queries.inc({ query: "solicit", result });
    this.#m.queryDuration.observe({ query: "solicit" }, seconds);
  }

  /** `/healthz`: healthy while HAProxy answered within `staleAfterMs`. */
  health(staleAfterMs: number): HealthStatus {
    const lastContactMs = this.#m.lastContactMs;
    if (lastContactMs === null) return { ok: false, reason: "waiting for HAProxy" };
    const ageMs = this.#clock.nowMs() - lastContactMs;
    if (ageMs > staleAfterMs) {
      return { ok: false, reason: `HAProxy has not answered for ${Math.round(ageMs / 1000)} s` };
    }
    return { ok: true, reason: "" };
  }
}
