/**
 * The task's lifecycle as a pure state machine: worker and cluster inputs in, effects out.
 *
 * ```
 * starting ──worker ready──▶ ready ⇄ unhealthy ──stop / worker exit──▶ departing ──▶ stopped
 *     └──────────── ready timeout / worker exit / stop ─────────────────────────────▶ stopped
 * ```
 *
 * - `starting`: the worker runs but is not ready; the task has not joined or announced.
 * - `ready` / `unhealthy`: joined; each change of state is set as the `state` tag and announced,
 *   and a sidecar that joins gets a fresh announce.
 * - `departing`: `state=draining`, the `depart` query runs, then the worker is stopped (on a
 *   stop request) or is already gone (it exited by itself).
 * - `stopped`: the shell leaves the cluster (when it had joined) and exits with `code`.
 *
 * No I/O, no clock: the shell ({@linkcode ./runner.ts}) performs the effects and feeds back what
 * happened.
 *
 * @example
 * ```ts
 * import { TaskLifecycle } from "./lifecycle.ts";
 * const lc = new TaskLifecycle({ drainTimeoutMs: 20_000 });
 * const effects = lc.onWorkerReady();
 * console.assert(lc.phase === "ready" && effects.some((e) => e.type === "announce"));
 * ```
 *
 * @module
 */

import type { ExitStatus } from "../../supervisor/mod.ts";
import { TASK_STATE } from "../../proto.ts";

/** Where the task is in its life. */
export type TaskPhase = "starting" | "ready" | "unhealthy" | "departing" | "stopped";

/** The `state` tag and `AnnounceRequest.state` values. */
export type TaskState = (typeof TASK_STATE)[keyof typeof TASK_STATE];

/** What the shell must do, in order. */
export type TaskEffect =
  /** Set the `state` tag (solicit answers follow {@linkcode TaskLifecycle.state}). */
  | { readonly type: "set-state"; readonly state: TaskState }
  /** Join the cluster, retrying until a member answers. */
  | { readonly type: "join" }
  /** Announce the current state to every sidecar (retrying until one accepts). */
  | { readonly type: "announce" }
  /** Send `depart` and wait for every sidecar, at most `timeoutMs`; then feed `onDepartFinished`. */
  | { readonly type: "depart"; readonly timeoutMs: number; readonly timeoutSeconds: number }
  /** SIGTERM the worker (SIGKILL after the kill timeout); its exit arrives as `onWorkerExited`. */
  | { readonly type: "stop-worker" }
  /** Leave the cluster (bounded) when `leave`, else just close; then exit with `code`. */
  | { readonly type: "finish"; readonly code: number; readonly leave: boolean };

/** Status used when the worker never became ready or could not be started or stopped. */
export const FAILURE_EXIT_CODE = 1;

/**
 * Shortest `depart` query: with `--drain-timeout 0` sidecars still get the query (asking for an
 * immediate removal) and a moment to answer it.
 */
export const DEPART_MIN_MS = 500;

/**
 * `depart` when the worker has already exited: nothing is left to drain, the sidecars only
 * remove the server, which takes one HAProxy command.
 */
export const DEPART_AFTER_EXIT_MS = 2_000;

/**
 * After SIGKILL, how long the worker's exit status may take to arrive (the kernel reaps a killed
 * process at once; this only bounds a stuck `waitpid`).
 */
export const KILL_GRACE_MS = 1_000;

/**
 * Graceful gossip leave: the leave intent is gossiped within a few gossip intervals, then serf
 * waits its 1 s propagate delay. Past this the task closes without waiting.
 */
export const LEAVE_BUDGET_MS = 2_000;

/**
 * The longest stop after SIGTERM: depart (`--drain-timeout`), SIGTERM → SIGKILL
 * (`--kill-timeout`), the kill grace and the leave. With the defaults 20 s + 5 s + 1 s + 2 s =
 * 28 s, inside ECS's default 30 s between SIGTERM and SIGKILL.
 *
 * @example
 * ```ts
 * import { stopBudgetMs } from "./lifecycle.ts";
 * console.assert(stopBudgetMs({ drainTimeoutMs: 20_000, killTimeoutMs: 5_000 }) === 28_000);
 * ```
 */
export function stopBudgetMs(o: { drainTimeoutMs: number; killTimeoutMs: number }): number {
  return Math.max(o.drainTimeoutMs, DEPART_MIN_MS) + o.killTimeoutMs + KILL_GRACE_MS +
    LEAVE_BUDGET_MS;
}

/** Options of {@linkcode TaskLifecycle}. */
export interface TaskLifecycleOptions {
  /** `--drain-timeout`: how long a stop request waits for the sidecars' `depart` answers. */
  readonly drainTimeoutMs: number;
}

const NONE: readonly TaskEffect[] = [];

/** The task's state machine; see the module documentation. */
export class TaskLifecycle {
  readonly #o: TaskLifecycleOptions;
  #phase: TaskPhase = "starting";
  #state: TaskState = TASK_STATE.starting;
  /** The worker's status once it has exited. */
  #exit: ExitStatus | undefined;
  /** Still waiting for the `depart` answers. */
  #departing = false;
  /** The task joined the cluster (it left `starting` through readiness). */
  #joined = false;

  constructor(options: TaskLifecycleOptions) {
    this.#o = options;
  }

  /** The current phase. */
  get phase(): TaskPhase {
    return this.#phase;
  }

  /** The state announced and answered to `solicit`. */
  get state(): TaskState {
    return this.#state;
  }

  /** The worker passed its readiness check: join and announce. */
  onWorkerReady(): readonly TaskEffect[] {
    if (this.#phase !== "starting") return NONE;
    this.#phase = "ready";
    this.#joined = true;
    return [this.#setState(TASK_STATE.ready), { type: "join" }, { type: "announce" }];
  }

  /** The worker's health check started failing. */
  onWorkerUnhealthy(): readonly TaskEffect[] {
    if (this.#phase !== "ready") return NONE;
    this.#phase = "unhealthy";
    return [this.#setState(TASK_STATE.unhealthy), { type: "announce" }];
  }

  /** The worker's health check recovered. */
  onWorkerHealthy(): readonly TaskEffect[] {
    if (this.#phase !== "unhealthy") return NONE;
    this.#phase = "ready";
    return [this.#setState(TASK_STATE.ready), { type: "announce" }];
  }

  /** A member with `role=sidecar` joined: tell it about us. */
  onSidecarJoined(): readonly TaskEffect[] {
    if (this.#phase !== "ready" && this.#phase !== "unhealthy") return NONE;
    return [{ type: "announce" }];
  }

  /** SIGTERM/SIGINT: depart first, then stop the worker. */
  onStopRequested(): readonly TaskEffect[] {
    switch (this.#phase) {
      case "starting":
        // Never announced: nothing to depart from. The worker's exit finishes the task.
        this.#phase = "departing";
        return [this.#setState(TASK_STATE.draining), { type: "stop-worker" }];
      case "ready":
      case "unhealthy":
        return this.#depart(Math.max(this.#o.drainTimeoutMs, DEPART_MIN_MS), true);
      default:
        return NONE;
    }
  }

  /** The worker could not be started, or did not become ready in time (it has been stopped). */
  onStartFailed(): readonly TaskEffect[] {
    if (this.#joined || this.#phase === "stopped") return NONE;
    return this.#finish(FAILURE_EXIT_CODE, false);
  }

  /** The worker exited (by itself, or because it was stopped). */
  onWorkerExited(status: ExitStatus): readonly TaskEffect[] {
    if (this.#exit !== undefined || this.#phase === "stopped") return NONE;
    this.#exit = status;
    switch (this.#phase) {
      case "starting":
        // Exiting before ready is a failed start, even with status 0.
        return this.#finish(status.code === 0 ? FAILURE_EXIT_CODE : status.code, false);
      case "ready":
      case "unhealthy":
        // Nothing left to drain: ask for an immediate removal (timeoutSeconds 0).
        return this.#depart(
          Math.max(DEPART_MIN_MS, Math.min(DEPART_AFTER_EXIT_MS, this.#o.drainTimeoutMs)),
          false,
        );
      default:
        // departing: finish now unless the depart answers are still awaited.
        return this.#departing ? NONE : this.#finish(status.code, this.#joined);
    }
  }

  /** The `depart` query ended (every sidecar answered, or its timeout passed). */
  onDepartFinished(): readonly TaskEffect[] {
    if (this.#phase !== "departing" || !this.#departing) return NONE;
    this.#departing = false;
    if (this.#exit !== undefined) return this.#finish(this.#exit.code, true);
    return [{ type: "stop-worker" }];
  }

  /** The worker survived SIGKILL (or could not be signalled). */
  onStopFailed(): readonly TaskEffect[] {
    if (this.#phase !== "departing" || this.#exit !== undefined) return NONE;
    return this.#finish(FAILURE_EXIT_CODE, this.#joined);
  }

  #depart(timeoutMs: number, drain: boolean): readonly TaskEffect[] {
    this.#phase = "departing";
    this.#departing = true;
    return [this.#setState(TASK_STATE.draining), {
      type: "depart",
      timeoutMs,
      // Whole seconds, rounded down: the sidecars' drain must end before our wait does.
      timeoutSeconds: drain ? Math.floor(timeoutMs / 1000) : 0,
    }];
  }

  #finish(code: number, leave: boolean): readonly TaskEffect[] {
    this.#phase = "stopped";
    return [{ type: "finish", code, leave }];
  }

  #setState(state: TaskState): TaskEffect {
    this.#state = state;
    return { type: "set-state", state };
  }
}
