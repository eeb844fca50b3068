/**
 * The task's shell: feeds the worker's and the cluster's events into {@linkcode TaskLifecycle}
 * and performs the effects it returns (tags, join loop, announce loop, depart, stopping the
 * worker, leaving). Built by `runTask` (lib/roles/task.ts) from real parts; every collaborator
 * is an interface so the wiring can be driven by fakes too.
 *
 * @module
 */

import { type Clock, deadline } from "../../clock.ts";
import type { SerfEvent } from "../../serf/mod.ts";
import type { ExitStatus, SupervisorEvent } from "../../supervisor/mod.ts";
import { WorkerExitedError } from "../../supervisor/mod.ts";
import { Announcer } from "./announcer.ts";
import { joinWithRetry } from "./joiner.ts";
import {
  FAILURE_EXIT_CODE,
  LEAVE_BUDGET_MS,
  type TaskEffect,
  TaskLifecycle,
  type TaskState,
} from "./lifecycle.ts";
import { announcePayload, departPayload, type ServedPort } from "./messages.ts";
import { isSidecar, TaskMembership } from "./membership.ts";
import type { HealthStatus } from "../../metrics/mod.ts";
import { announceRound, departRound } from "./rounds.ts";
import { errorText } from "../../log/error_text.ts";
import type { TaskRunnerOptions } from "./runner_options.ts";

export type { TaskGossip, TaskRunnerOptions, TaskWorker } from "./runner_options.ts";

/**
 * The tags a task sets: the user's, then `role=task` and `state` (which users cannot override).
 *
 * @example
 * ```ts
 * import { taskTags } from "./runner.ts";
 * const t = taskTags(new Map([["role", "x"], ["az", "a"]]), "ready");
 * console.assert(t.get("role") === "task" && t.get("az") === "a" && t.get("state") === "ready");
 * ```
 */
export function taskTags(user: ReadonlyMap<string, string>, state: TaskState): Map<string, string> {
  return new Map([...user, ["role", "task"], ["state", state]]);
}

/** Runs one task from start to exit; see the module documentation. */
export class TaskRunner {
  readonly #o: TaskRunnerOptions;
  readonly #lc: TaskLifecycle;
  readonly #announcer: Announcer;
  readonly #membership: TaskMembership;
  #failed = false;
  readonly #joinAbort = new AbortController();
  #exit!: (code: number) => void;
  readonly #exitCode = new Promise<number>((r) => (this.#exit = r));

  constructor(options: TaskRunnerOptions) {
    this.#o = options;
    this.#lc = new TaskLifecycle({ drainTimeoutMs: options.drainTimeoutMs });
    this.#announcer = new Announcer({
      announce: () => {
        const state = this.#lc.state;
        return announceRound(this.#o.gossip.serf, {
          payload: announcePayload(this.#served(), state),
          state,
          log: this.#o.log,
          onAnswer: this.#o.onAnnounceAnswer,
          onAccepted: (sidecar) => this.#membership.accepted(sidecar),
          onRefused: (sidecar, reason) => this.#membership.refused(sidecar, reason),
          nowMs: () => this.#o.clock.nowMs(),
        });
      },
      clock: options.clock,
      prng: options.prng,
      log: options.log,
    });
    this.#membership = new TaskMembership({
      members: () => this.#o.gossip.serf.members(),
      suspected: () => this.#o.gossip.suspected(),
      localName: options.gossip.localName,
      joinTargets: () => this.#o.joinTargets(),
      join: (addrs) => this.#o.gossip.join(addrs),
      clock: options.clock,
      prng: options.prng,
      log: options.log,
      onRegistered: options.onRegistered,
    });
  }

  /** Starts the worker and runs until the task finishes; resolves to the exit status. */
  async run(): Promise<number> {
    const unsubscribe = this.#o.gossip.serf.subscribe((e) => this.#onSerfEvent(e));
    const unsuspect = this.#o.gossip.onSuspect((name) => this.#membership.onSuspect(name));
    try {
      await this.#o.worker.start();
      this.#o.log.info("task.ready", {
        port: this.#o.worker.address?.port,
        pid: this.#o.worker.pid,
      });
      this.#o.worker.exited.then((s) => this.#onWorkerExited(s));
      this.#apply(this.#lc.onWorkerReady());
    } catch (err) {
      if (err instanceof WorkerExitedError) {
        const cancelled = this.#lc.phase === "departing"; // stopped by us while starting
        this.#o.log[cancelled ? "info" : "error"](
          cancelled ? "task.start_cancelled" : "task.start_failed",
          { error: err.message, code: err.status.code },
        );
        this.#onWorkerExited(err.status);
      } else {
        this.#o.log.error("task.start_failed", {
          error: errorText(err),
          kind: err instanceof Error ? err.name : typeof err,
        });
        this.#apply(this.#lc.onStartFailed());
      }
    }
    const code = await this.#exitCode;
    unsubscribe();
    unsuspect();
    return code;
  }

  /** A stop signal (or an RPC leave): depart, then stop the worker. */
  requestStop(reason: string): void {
    this.#o.log.info("task.stopping", { reason, phase: this.#lc.phase });
    this.#apply(this.#lc.onStopRequested());
  }

  /**
   * A fatal condition (we lost a name conflict: gossip is shut down): log it as an error, stop
   * the worker, and exit non-zero whatever the worker's status.
   */
  fail(reason: string): void {
    this.#failed = true;
    this.#o.log.error("task.failed", { error: reason });
    this.requestStop("failed");
  }

  /** The supervisor's events (health changes matter here; exit comes through `exited`). */
  onWorkerEvent(e: SupervisorEvent): void {
    if (e.type === "unhealthy") this.#apply(this.#lc.onWorkerUnhealthy());
    if (e.type === "healthy") this.#apply(this.#lc.onWorkerHealthy());
  }

  #onWorkerExited(status: ExitStatus): void {
    this.#o.log.info("task.worker.exited", { code: status.code, status: status.description });
    this.#apply(this.#lc.onWorkerExited(status));
  }

  /**
   * `/healthz`'s view of the registration: unhealthy until a sidecar accepted us, and when no
   * sidecar has been alive for long (see `registration.ts`).
   */
  registrationHealth(): HealthStatus {
    return this.#membership.health();
  }

  #onSerfEvent(e: SerfEvent): void {
    this.#membership.onEvent(e);
    if (e.type === "member-join" && e.members.some(isSidecar)) {
      this.#apply(this.#lc.onSidecarJoined());
    } else if (e.type === "query" && e.name === "solicit") {
      const port = this.#o.worker.address?.port;
      if (port === undefined) return;
      try {
        e.respond(announcePayload(this.#served(), this.#lc.state));
        this.#o.log.debug("task.solicit.answered", { from: e.sourceNode, state: this.#lc.state });
      } catch (err) {
        this.#o.log.debug("task.solicit.failed", {
          from: e.sourceNode,
          error: errorText(err),
        });
      }
    }
  }

  #served(): ServedPort {
    return {
      port: this.#o.worker.address?.port ?? 0,
      backend: this.#o.backend,
      weight: this.#o.weight,
    };
  }

  #apply(effects: readonly TaskEffect[]): void {
    for (const e of effects) this.#perform(e);
  }

  #perform(e: TaskEffect): void {
    const o = this.#o;
    switch (e.type) {
      case "set-state":
        // A worker turning unhealthy is worth a look; the other changes are routine.
        o.log[e.state === "unhealthy" ? "warn" : "info"]("task.state", { state: e.state });
        this.#membership.announcing();
        try {
          o.gossip.serf.setTags(taskTags(o.tags, e.state));
        } catch (err) {
          o.log.warn("task.tags_failed", { error: String(err) });
        }
        return;
      case "join":
        this.#join();
        return;
      case "announce":
        this.#announcer.kick();
        return;
      case "depart":
        this.#depart(e.timeoutMs, e.timeoutSeconds);
        return;
      case "stop-worker":
        o.worker.stop().catch((err) => {
          o.log.error("task.stop_failed", { error: String(err) });
          this.#apply(this.#lc.onStopFailed());
        });
        return;
      case "finish":
        this.#finish(e.code, e.leave);
        return;
    }
  }

  #join(): void {
    const o = this.#o;
    joinWithRetry({
      targets: () => o.joinTargets(),
      join: (addrs) => o.gossip.join(addrs),
      clock: o.clock,
      prng: o.prng,
      log: o.log,
      signal: this.#joinAbort.signal,
    }).then(
      // Joined: from now on, losing every sidecar (or every peer) means joining again.
      () => this.#joinAbort.signal.aborted || this.#membership.startRejoining(),
      (err) => o.log.error("task.join.failed", { error: String(err) }),
    );
  }

  async #depart(timeoutMs: number, timeoutSeconds: number): Promise<void> {
    this.#announcer.stop();
    this.#joinAbort.abort();
    this.#membership.stop();
    const o = this.#o;
    const payload = departPayload(this.#served(), { addr: o.gossip.advertiseHost, timeoutSeconds });
    await departRound(o.gossip.serf, { payload, timeoutMs, clock: o.clock, log: o.log });
    this.#apply(this.#lc.onDepartFinished());
  }

  async #finish(code: number, leave: boolean): Promise<void> {
    this.#announcer.stop();
    this.#joinAbort.abort();
    this.#membership.stop();
    const o = this.#o;
    if (leave) {
      const left = await withinMs(o.clock, LEAVE_BUDGET_MS, o.gossip.leave());
      if (!left) o.log.warn("task.leave.timeout", { budgetMs: LEAVE_BUDGET_MS });
    }
    await o.gossip.close().catch(() => {});
    const status = this.#failed && code === 0 ? FAILURE_EXIT_CODE : code;
    o.log.info("task.exit", { code: status });
    this.#exit(status);
  }
}

/** True when `p` settled within `ms`. */
function withinMs(clock: Clock, ms: number, p: Promise<unknown>): Promise<boolean> {
  const settled = p.then(() => true, () => true);
  return deadline(clock, ms, settled).then((inTime) => inTime ?? false);
}
