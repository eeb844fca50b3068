/**
 * HAProxy as the sidecar's child (`shoal sidecar -- haproxy -W -db -f cfg`): started through the
 * process's one {@linkcode Spawner}, sent the reload signals the sidecar receives (SIGHUP,
 * SIGUSR2), and stopped with SIGTERM, then SIGKILL after a bounded wait.
 *
 * @module
 */

import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import type { ExitStatus } from "../../supervisor/exit_status.ts";
import type { SpawnedProcess, Spawner } from "../../supervisor/spawn.ts";
import { pumpHaproxyOutput } from "./haproxy_output.ts";

/** Signals forwarded to HAProxy: both make an `haproxy -W` master reload. */
export const RELOAD_SIGNALS: readonly Deno.Signal[] = ["SIGHUP", "SIGUSR2"];

/** A supervised HAProxy process. */
export class HaproxyChild {
  readonly #process: SpawnedProcess;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #handlers: [Deno.Signal, () => void][] = [];
  #exitedStatus: ExitStatus | undefined;

  private constructor(process: SpawnedProcess, log: Logger, clock: Clock) {
    this.#process = process;
    this.#log = log;
    this.#clock = clock;
    process.status.then((s) => (this.#exitedStatus = s), () => {});
  }

  /**
   * Starts `argv` (stdout and stderr shared with ours, or logged as `haproxy.output` with
   * `logOutput`) and forwards reload signals to it, calling `onReload` after each. Throws the
   * spawner's `SpawnError` when it cannot start.
   */
  static start(
    spawner: Spawner,
    argv: readonly string[],
    deps: {
      log: Logger;
      clock: Clock;
      onReload: (signal: Deno.Signal) => void;
      logOutput?: boolean;
    },
  ): HaproxyChild {
    const stdio = deps.logOutput ? "pipe" : "inherit";
    const process = spawner.spawn({ argv, stdout: stdio, stderr: stdio });
    if (process.stdout) pumpHaproxyOutput(process.stdout, deps.log, "stdout").catch(() => {});
    if (process.stderr) pumpHaproxyOutput(process.stderr, deps.log, "stderr").catch(() => {});
    const child = new HaproxyChild(process, deps.log, deps.clock);
    deps.log.info("haproxy.process.started", { pid: process.pid, command: argv.join(" ") });
    for (const signal of RELOAD_SIGNALS) {
      const handler = () => {
        const sent = process.kill(signal);
        deps.log.info("haproxy.process.reload", { pid: process.pid, signal, sent });
        if (sent) deps.onReload(signal);
      };
      Deno.addSignalListener(signal, handler);
      child.#handlers.push([signal, handler]);
    }
    return child;
  }

  /** The process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /** Resolves with HAProxy's exit status. */
  get exited(): Promise<ExitStatus> {
    return this.#process.status;
  }

  /**
   * Sends SIGTERM and waits up to `timeoutMs` for the exit, then SIGKILL; removes the signal
   * forwarding. Resolves with the exit status (undefined if the reaper lost it).
   */
  async stop(timeoutMs: number): Promise<ExitStatus | undefined> {
    this.dispose();
    if (this.#exitedStatus === undefined) {
      this.#process.kill("SIGTERM");
      if (!(await this.#waitExit(timeoutMs))) {
        this.#log.warn("haproxy.process.kill", { pid: this.pid, after_ms: timeoutMs });
        this.#process.kill("SIGKILL");
        await this.#waitExit(timeoutMs);
      }
    }
    return this.#exitedStatus;
  }

  /** Stops forwarding signals. */
  dispose(): void {
    for (const [signal, handler] of this.#handlers.splice(0)) {
      Deno.removeSignalListener(signal, handler);
    }
  }

  async #waitExit(timeoutMs: number): Promise<boolean> {
    let timer = 0;
    const late = new Promise<false>((
      r,
    ) => (timer = this.#clock.setTimer(timeoutMs, () => r(false))));
    const done = this.#process.status.then(() => true, () => true);
    const exited = await Promise.race([done, late]);
    this.#clock.clearTimer(timer);
    return exited;
  }
}
