/**
 * A simulated worker behind `shoal task`, in place of the supervised child process: it becomes
 * ready after a delay, answers health checks while it is up, exits a while after SIGTERM (or
 * hangs until SIGKILL), and can crash. It speaks the task's {@linkcode TaskWorker} interface and
 * emits the supervisor's events, so the task's real lifecycle code drives it.
 *
 * @module
 */

import type { Clock } from "../../../lib/clock.ts";
import type { TaskWorker } from "../../../lib/roles/task/runner.ts";
import {
  type ExitStatus,
  type SupervisorEvent,
  WorkerExitedError,
} from "../../../lib/supervisor/mod.ts";

/** How a simulated worker behaves. */
export interface SimWorkerOptions {
  readonly clock: Clock;
  readonly pid: number;
  readonly port: number;
  readonly readyDelayMs: number;
  /** Time from SIGTERM to exit; null: ignores SIGTERM and waits for SIGKILL. */
  readonly stopDelayMs: number | null;
  /** SIGTERM to SIGKILL (`--kill-timeout`). */
  readonly killTimeoutMs: number;
  readonly onEvent: (e: SupervisorEvent) => void;
  /** Told when the worker gets SIGTERM and when it exits (for invariants and the trace). */
  readonly observe: (what: "sigterm" | "exited", status?: ExitStatus) => void;
}

const status = (code: number, signal: number | null, description: string): ExitStatus => ({
  code,
  signal,
  description,
});

/** A worker in the simulated world. */
export class SimWorker implements TaskWorker {
  readonly pid: number;
  #o: SimWorkerOptions;
  #ready = false;
  /** When the worker became ready. */
  readyMs: number | undefined;
  #gone = false;
  #stopping = false;
  #exit!: (s: ExitStatus) => void;
  readonly exited: Promise<ExitStatus>;

  constructor(o: SimWorkerOptions) {
    this.#o = o;
    this.pid = o.pid;
    this.exited = new Promise((r) => (this.#exit = r));
  }

  get address(): { readonly port: number } | undefined {
    return this.#gone ? undefined : { port: this.#o.port };
  }

  /** True while the worker is up and ready (health checks pass). */
  get serving(): boolean {
    return this.#ready && !this.#gone;
  }

  /** True once the worker has exited. */
  get gone(): boolean {
    return this.#gone;
  }

  start(): Promise<void> {
    this.#o.onEvent({ type: "spawned", pid: this.pid });
    return new Promise((resolve, reject) => {
      this.#o.clock.setTimer(this.#o.readyDelayMs, () => {
        if (this.#gone) return;
        this.#ready = true;
        this.readyMs = this.#o.clock.nowMs();
        this.#o.onEvent({ type: "ready", pid: this.pid, elapsedMs: this.#o.readyDelayMs });
        resolve();
      });
      this.exited.then((s) => reject(new WorkerExitedError(s)));
    });
  }

  stop(): Promise<ExitStatus> {
    if (this.#gone || this.#stopping) return this.exited;
    this.#stopping = true;
    this.#o.observe("sigterm");
    this.#o.onEvent({ type: "stopping", signal: "SIGTERM" });
    const { stopDelayMs, killTimeoutMs, clock } = this.#o;
    if (stopDelayMs !== null && stopDelayMs < killTimeoutMs) {
      clock.setTimer(stopDelayMs, () => this.#end(status(0, null, "exited with code 0")));
    } else {
      clock.setTimer(killTimeoutMs, () => {
        this.#o.onEvent({ type: "stopping", signal: "SIGKILL" });
        this.#end(status(137, 9, "killed by SIGKILL (9)"));
      });
    }
    return this.exited;
  }

  /** The worker dies by itself. */
  crash(): void {
    this.#end(status(139, 11, "killed by SIGSEGV (11)"));
  }

  /** The task process died (SIGKILL): the worker dies with it, without events. */
  killSilently(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#ready = false;
    this.#o.observe("exited", status(137, 9, "killed by SIGKILL (9)"));
  }

  #end(s: ExitStatus): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#ready = false;
    this.#o.observe("exited", s);
    this.#o.onEvent({ type: "exited", status: s });
    this.#exit(s);
  }
}
