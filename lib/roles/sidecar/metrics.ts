/**
 * Recording the sidecar's metrics (`shoal_sidecar_*`): HAProxy command results through a metered
 * runtime client, reconcile runs and repairs from the reconciler's stable `haproxy.*` events,
 * members and servers as gauges, and query counts and durations from the service.
 *
 * @module
 */

import type { Clock } from "../../clock.ts";
import {
  type CommandResult,
  RuntimeClient,
  type RuntimeClientOptions,
} from "../../haproxy/client.ts";
import type { Command } from "../../haproxy/commands.ts";
import {
  HaproxyCommandError,
  HaproxyConnectionError,
  type HaproxyError,
  HaproxyProtocolError,
  HaproxyTimeoutError,
  NoSuchBackendError,
  NoSuchServerError,
  NotDynamicBackendError,
  NotInMaintenanceError,
  PermissionDeniedError,
  ServerAlreadyExistsError,
  StillHasConnectionsError,
  UnknownCommandError,
  ValidationError,
} from "../../haproxy/errors.ts";
import { isManagedName } from "../../haproxy/names.ts";
import type { ObservedServer, PlanStep } from "../../haproxy/plan.ts";
import type { LogFields, Logger } from "../../log/logger.ts";
import type { HealthStatus } from "../../metrics/server.ts";
import type {
  DriftAction,
  HaproxyErrorKind,
  QueryResult,
  ServerState,
  SidecarMetrics,
  SidecarQuery,
} from "../../metrics/sidecar_metrics.ts";
import { type Member, MEMBER_STATUS_NAMES } from "../../serf/members.ts";

const ERROR_KINDS: readonly [new (...args: never[]) => HaproxyError, HaproxyErrorKind][] = [
  [ValidationError, "validation"],
  [HaproxyConnectionError, "connection"],
  [HaproxyTimeoutError, "timeout"],
  [HaproxyProtocolError, "protocol"],
  [NoSuchBackendError, "no_such_backend"],
  [NoSuchServerError, "no_such_server"],
  [ServerAlreadyExistsError, "already_exists"],
  [NotInMaintenanceError, "not_in_maintenance"],
  [StillHasConnectionsError, "still_has_connections"],
  [NotDynamicBackendError, "not_dynamic_backend"],
  [UnknownCommandError, "unknown_command"],
  [PermissionDeniedError, "permission_denied"],
];

/** The `kind` label of a failed HAProxy command. */
export function errorKind(error: HaproxyError): HaproxyErrorKind {
  for (const [cls, kind] of ERROR_KINDS) if (error instanceof cls) return kind;
  return "other";
}

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

/** A runtime client that reports every command's result (HAProxy contact and error kinds). */
export class MeteredRuntimeClient extends RuntimeClient {
  readonly #onResults: (results: readonly CommandResult[]) => void;

  /** Creates the client; `onResults` sees the results of every batch of commands. */
  constructor(
    options: RuntimeClientOptions,
    onResults: (results: readonly CommandResult[]) => void,
  ) {
    super(options);
    this.#onResults = onResults;
  }

  /** Sends the commands like {@linkcode RuntimeClient.executeAll}, then reports the results. */
  override async executeAll(commands: readonly Command[]): Promise<CommandResult[]> {
    const results = await super.executeAll(commands);
    this.#onResults(results);
    return results;
  }
}

/** Feeds {@linkcode SidecarMetrics}; see the module documentation. */
export class SidecarMeter {
  readonly #m: SidecarMetrics;
  readonly #clock: Pick<Clock, "nowMs">;
  #lastContactMs: number | undefined;

  constructor(metrics: SidecarMetrics, deps: { clock: Pick<Clock, "nowMs"> }) {
    this.#m = metrics;
    this.#clock = deps.clock;
  }

  /** Records HAProxy command results: an answer (even an error reply) is contact. */
  commandResults(results: readonly CommandResult[]): void {
    const nowMs = this.#clock.nowMs();
    for (const r of results) {
      if (r.ok || r.error instanceof HaproxyCommandError) {
        this.#lastContactMs = nowMs;
        this.#m.haproxyContacted(nowMs);
      }
      if (!r.ok) this.#m.haproxyCommandErrors.inc({ kind: errorKind(r.error) });
    }
  }

  /**
   * A logger for the reconciler: forwards everything to `log`, counts runs and repairs from its
   * events, and calls `afterPass` after each completed pass.
   */
  reconcilerLogger(log: Logger, afterPass: () => void): Logger {
    const observe = (event: string, fields: LogFields | undefined) => {
      if (event === "haproxy.reconcile.pass") {
        this.#m.reconcileRuns.inc({ result: "ok" });
        afterPass();
      } else if (event === "haproxy.reconcile.failed") {
        this.#m.reconcileRuns.inc({ result: "error" });
      } else if (event.startsWith("haproxy.server.")) {
        const action = STEP_ACTIONS[event.slice("haproxy.server.".length) as PlanStep["kind"]];
        if (action) this.#m.driftCorrections.inc({ backend: String(fields?.backend), action });
      }
    };
    const wrap = (inner: Logger): Logger => ({
      debug: (e, f) => (observe(e, f), inner.debug(e, f)),
      info: (e, f) => (observe(e, f), inner.info(e, f)),
      warn: (e, f) => (observe(e, f), inner.warn(e, f)),
      error: (e, f) => (observe(e, f), inner.error(e, f)),
      with: (f) => wrap(inner.with(f)),
    });
    return wrap(log);
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

  /** Sets the servers gauge of `backend` from what HAProxy reported. */
  servers(backend: string, observed: readonly ObservedServer[], prefix: string): void {
    for (const state of SERVER_STATES) {
      const n = observed.filter((s) => isManagedName(s.name, prefix) && s.admin === state).length;
      this.#m.servers.set({ backend, state }, n);
    }
  }

  /** Counts a handled query and, when given, how long it took. */
  query(query: SidecarQuery, result: QueryResult, seconds?: number): void {
    this.#m.queries.inc({ query, result });
    if (seconds !== undefined) this.#m.queryDuration.observe({ query }, seconds);
  }

  /** Records how long a solicit round took. */
  solicitRound(seconds: number): void {
    this.#m.queryDuration.observe({ query: "solicit" }, seconds);
  }

  /** `/healthz`: healthy while HAProxy answered within `staleAfterMs`. */
  health(staleAfterMs: number): HealthStatus {
    if (this.#lastContactMs === undefined) return { ok: false, reason: "waiting for HAProxy" };
    const ageMs = this.#clock.nowMs() - this.#lastContactMs;
    if (ageMs > staleAfterMs) {
      return { ok: false, reason: `HAProxy has not answered for ${Math.round(ageMs / 1000)} s` };
    }
    return { ok: true, reason: "" };
  }
}
