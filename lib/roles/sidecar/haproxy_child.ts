/**
 * HAProxy as the sidecar's child (`shoal sidecar -- haproxy -W -db -f cfg`): started through the
 * process's one {@linkcode Spawner}, sent the reload signals the sidecar receives (SIGHUP,
 * SIGUSR2), restarted when it dies, and stopped with SIGTERM, then SIGKILL after a bounded wait.
 *
 * A supervisor keeps its child running: an HAProxy that dies (killed by a signal, or a non-zero
 * exit status) is started again at once (then after 0.25, 0.5, 1, 2 s if it keeps dying), while the sidecar stays in the cluster
 * and puts every server it knows back as soon as the new HAProxy answers. More than
 * {@linkcode RESTARTS_MAX} exits within {@linkcode RESTART_WINDOW_MS} is a crash loop: the
 * sidecar gives up and exits 1, so the orchestrator sees the failure. An HAProxy that stops
 * cleanly (status 0: someone sent its master SIGUSR1 or SIGTERM) was asked to stop, so it is not
 * restarted: the sidecar stops too, with status 0.
 *
 * @module
 */

import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import type { ExitStatus } from "../../supervisor/exit_status.ts";
import type { ProcessHost } from "../../supervisor/process_host.ts";
import type { SpawnedProcess, Spawner } from "../../supervisor/spawn.ts";
import { pumpHaproxyOutput } from "./haproxy_output.ts";

/** Signals forwarded to HAProxy: both make an `haproxy -W` master reload. */
export const RELOAD_SIGNALS: readonly Deno.Signal[] = ["SIGHUP", "SIGUSR2"];
/** Exits within {@linkcode RESTART_WINDOW_MS} after which the sidecar stops restarting HAProxy. */
export const RESTARTS_MAX = 5;
/** The window of {@linkcode RESTARTS_MAX}. */
export const RESTART_WINDOW_MS = 60_000;
/** Delays before the restarts that follow a first one within the window. */
const RESTART_DELAYS_MS = [0, 250, 500, 1000, 2000];
/** Longest wait for `beforeReload` (saving the server state) before the signal is sent anyway. */
const BEFORE_RELOAD_MAX_MS = 1000;

/** What the sidecar does around the child's life. */
export interface HaproxyChildHooks {
  readonly log: Logger;
  readonly clock: Clock;
  /** The sidecar's process: HAProxy's environment and the reload signals it receives. */
  readonly host: Pick<ProcessHost, "env" | "addSignalListener" | "removeSignalListener">;
  /** Runs before a reload signal is forwarded (the server-state file is saved). */
  readonly beforeReload?: () => Promise<void>;
  /** After each forwarded reload signal. */
  readonly onReload: (signal: Deno.Signal) => void;
  /** After HAProxy was started again following an exit. */
  readonly onRestart: () => void;
  /** HAProxy kept exiting (or could not be started again): the sidecar should end with 1. */
  readonly onGiveUp: (why: string) => void;
  /** HAProxy stopped cleanly (status 0) without the sidecar asking: the sidecar should stop. */
  readonly onStopped: () => void;
  /** Log HAProxy's stdout and stderr lines as `haproxy.output` instead of sharing ours. */
  readonly logOutput?: boolean;
}

/** A supervised HAProxy process, restarted when it exits. */
export class HaproxyChild {
  readonly #spawner: Spawner;
  readonly #argv: readonly string[];
  readonly #hooks: HaproxyChildHooks;
  readonly #handlers: [Deno.Signal, () => void][] = [];
  readonly #exits: number[] = [];
  #process: SpawnedProcess;
  #exitedStatus: ExitStatus | undefined;
  #stopping = false;
  #timer: number | undefined;

  private constructor(spawner: Spawner, argv: readonly string[], hooks: HaproxyChildHooks) {
    this.#spawner = spawner;
    this.#argv = argv;
    this.#hooks = hooks;
    this.#process = this.#spawn();
  }

  /**
   * Starts `argv` (stdout and stderr shared with ours) and forwards reload signals to it. Throws
   * the spawner's `SpawnError` when it cannot start.
   */
  static start(spawner: Spawner, argv: readonly string[], hooks: HaproxyChildHooks): HaproxyChild {
    const child = new HaproxyChild(spawner, argv, hooks);
    for (const signal of RELOAD_SIGNALS) {
      const handler = () => void child.#reload(signal);
      hooks.host.addSignalListener(signal, handler);
      child.#handlers.push([signal, handler]);
    }
    return child;
  }

  /** The current process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /**
   * Sends SIGTERM and waits up to `timeoutMs` for the exit, then SIGKILL; removes the signal
   * forwarding and stops restarting. Resolves with the exit status (undefined if the reaper lost
   * it).
   */
  async stop(timeoutMs: number): Promise<ExitStatus | undefined> {
    this.#stopping = true;
    if (this.#timer !== undefined) this.#hooks.clock.clearTimer(this.#timer);
    this.dispose();
    if (this.#exitedStatus === undefined) {
      this.#process.kill("SIGTERM");
      if (!(await this.#waitExit(timeoutMs))) {
        this.#hooks.log.warn("haproxy.process.kill", { pid: this.pid, after_ms: timeoutMs });
        this.#process.kill("SIGKILL");
        await this.#waitExit(timeoutMs);
      }
    }
    return this.#exitedStatus;
  }

  /** Stops forwarding signals. */
  dispose(): void {
    for (const [signal, handler] of this.#handlers.splice(0)) {
      this.#hooks.host.removeSignalListener(signal, handler);
    }
  }

  #spawn(): SpawnedProcess {
    const stdio = this.#hooks.logOutput ? "pipe" : "inherit";
    const process = this.#spawner.spawn({
      argv: this.#argv,
      env: this.#hooks.host.env(),
      stdout: stdio,
      stderr: stdio,
    });
    const log = this.#hooks.log;
    if (process.stdout) pumpHaproxyOutput(process.stdout, log, "stdout").catch(() => {});
    if (process.stderr) pumpHaproxyOutput(process.stderr, log, "stderr").catch(() => {});
    this.#exitedStatus = undefined;
    this.#hooks.log.info("haproxy.process.started", {
      pid: process.pid,
      command: this.#argv.join(" "),
    });
    process.status.then((status) => {
      this.#exitedStatus = status;
      if (!this.#stopping) this.#exited(process.pid, status);
    }, (err) => {
      if (this.#stopping) return;
      this.#hooks.log.warn("haproxy.process.lost", { pid: process.pid, error: String(err) });
      this.#hooks.onGiveUp("haproxy lost");
    });
    return process;
  }

  #exited(pid: number, status: ExitStatus): void {
    const { clock, log } = this.#hooks;
    if (status.code === 0 && status.signal === null) {
      log.warn("haproxy.process.stopped_by_itself", { pid, status: status.description });
      this.#hooks.onStopped();
      return;
    }
    const nowMs = clock.nowMs();
    while (this.#exits.length > 0 && this.#exits[0]! <= nowMs - RESTART_WINDOW_MS) {
      this.#exits.shift();
    }
    this.#exits.push(nowMs);
    log.error("haproxy.process.exited", { pid, status: status.description });
    if (this.#exits.length > RESTARTS_MAX) {
      log.error("haproxy.process.crash_loop", {
        exits: this.#exits.length,
        window_ms: RESTART_WINDOW_MS,
      });
      this.#hooks.onGiveUp("haproxy exited");
      return;
    }
    const delayMs = RESTART_DELAYS_MS[this.#exits.length - 1] ?? 2000;
    this.#timer = clock.setTimer(delayMs, () => {
      this.#timer = undefined;
      if (this.#stopping) return;
      try {
        this.#process = this.#spawn();
      } catch (err) {
        log.error("haproxy.process.restart_failed", { error: String(err) });
        this.#hooks.onGiveUp("haproxy restart failed");
        return;
      }
      log.warn("haproxy.process.restarted", { pid: this.#process.pid, after_ms: delayMs });
      this.#hooks.onRestart();
    });
  }

  async #reload(signal: Deno.Signal): Promise<void> {
    const { beforeReload, clock, log } = this.#hooks;
    if (beforeReload) {
      let timer = 0;
      const late = new Promise<void>((r) => (timer = clock.setTimer(BEFORE_RELOAD_MAX_MS, r)));
      await Promise.race([beforeReload().catch(() => {}), late]);
      clock.clearTimer(timer);
    }
    if (this.#stopping) return;
    const sent = this.#process.kill(signal);
    log.info("haproxy.process.reload", { pid: this.#process.pid, signal, sent });
    if (sent) this.#hooks.onReload(signal);
  }

  async #waitExit(timeoutMs: number): Promise<boolean> {
    let timer = 0;
    const late = new Promise<false>((
      r,
    ) => (timer = this.#hooks.clock.setTimer(timeoutMs, () => r(false))));
    const done = this.#process.status.then(() => true, () => true);
    const exited = await Promise.race([done, late]);
    this.#hooks.clock.clearTimer(timer);
    return exited;
  }
}
