/**
 * One reaper per process: collects child exit statuses with nonblocking `waitpid` on SIGCHLD and
 * hands each status to whoever spawned that pid.
 *
 * Two modes:
 * - **per pid** (default unless we are PID 1): `waitpid(pid, WNOHANG)` for each watched pid only,
 *   so children of `Deno.Command` or `node:child_process` keep their statuses.
 * - **reap all** (default when `Deno.pid === 1`): `waitpid(-1, WNOHANG)` until nothing is left, so
 *   orphaned grandchildren re-parented to us do not stay zombies. Statuses of watched pids are
 *   dispatched to their watchers; others are logged and dropped. In this mode nothing else in the
 *   process may use `Deno.Command` or `node:child_process`: their statuses would be stolen
 *   (`child.status` rejects with ECHILD). Spawn everything through a {@linkcode Spawner}.
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { C, errno, libc, strerror } from "./_libc.ts";
import { SyscallError } from "./errors.ts";
import { decodeWaitStatus, type ExitStatus } from "./exit_status.ts";

/** Options for {@linkcode Reaper}. */
export interface ReaperOptions {
  /**
   * Reap every child (`waitpid(-1)`), including re-parented orphans.
   * @default {Deno.pid === 1}
   */
  reapAll?: boolean;
  /**
   * Backstop poll while children are watched (SIGCHLD does the prompt work); it also keeps the
   * event loop alive, which a signal listener alone does not. Long, because each poll is a
   * wakeup of an otherwise idle process.
   * @default {5000}
   */
  pollIntervalMs?: number;
  /** Time source of the polls (the composition root passes `systemClock`). */
  clock: Clock;
  /** @default {nullLogger} */
  logger?: Logger;
}

/** The default backstop poll: a missed SIGCHLD costs at most this long. */
const REAP_BACKSTOP_MS = 5000;

/** Upper bound on statuses collected in one pass, so a fork bomb cannot pin the event loop. */
const REAP_PASS_MAX = 4096;

let reapAllOwner: Reaper | undefined;

interface Waiter {
  resolve(status: ExitStatus): void;
  reject(error: Error): void;
}

/**
 * Collects exit statuses of spawned children.
 *
 * @example
 * ```ts ignore
 * import { Reaper } from "./reaper.ts";
 * const reaper = new Reaper({ reapAll: false });
 * const status = await reaper.watch(somePid);
 * reaper.close();
 * ```
 */
export class Reaper {
  /** True when this reaper collects every child, not only watched ones. */
  readonly reapAll: boolean;
  /** Number of statuses collected for pids nobody watched (re-parented orphans). */
  orphansReaped = 0;
  readonly #waiters = new Map<number, Waiter>();
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #pollIntervalMs: number;
  #timer: TimerId | undefined;
  #closed = false;
  readonly #onSigchld = () => this.reapNow();

  constructor(options: ReaperOptions) {
    this.reapAll = options.reapAll ?? Deno.pid === 1;
    this.#clock = options.clock;
    this.#log = options.logger ?? nullLogger;
    this.#pollIntervalMs = options.pollIntervalMs ?? REAP_BACKSTOP_MS;
    if (this.reapAll) {
      if (reapAllOwner !== undefined) {
        throw new Error("A reap-all Reaper already exists in this process; share it instead");
      }
      reapAllOwner = this;
    }
    Deno.addSignalListener("SIGCHLD", this.#onSigchld);
  }

  /**
   * Resolves with `pid`'s exit status. Call it synchronously right after spawning, before
   * yielding to the event loop.
   */
  watch(pid: number): Promise<ExitStatus> {
    if (this.#closed) throw new Error("Reaper is closed");
    if (this.#waiters.has(pid)) throw new Error(`pid ${pid} is already watched`);
    const { promise, resolve, reject } = Promise.withResolvers<ExitStatus>();
    this.#waiters.set(pid, { resolve, reject });
    this.#arm();
    queueMicrotask(() => this.reapNow());
    return promise;
  }

  /** True while `pid` is watched and not yet collected (so it is safe to signal). */
  watching(pid: number): boolean {
    return this.#waiters.has(pid);
  }

  /** Collects whatever statuses are available now. Called on SIGCHLD and by the backstop poll. */
  reapNow(): void {
    if (this.#closed) return;
    if (this.reapAll) this.#reapAny();
    else for (const pid of [...this.#waiters.keys()]) this.#reapPid(pid);
  }

  /** Stops listening for SIGCHLD; pending watches reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Deno.removeSignalListener("SIGCHLD", this.#onSigchld);
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    if (reapAllOwner === this) reapAllOwner = undefined;
    for (const [pid, w] of this.#waiters) {
      w.reject(new Error(`Reaper closed while watching ${pid}`));
    }
    this.#waiters.clear();
  }

  #reapAny(): void {
    const statusBuf = new Int32Array(1);
    for (let i = 0; i < REAP_PASS_MAX; i++) {
      const pid = libc().waitpid(-1, statusBuf, C.WNOHANG);
      if (pid === 0) return;
      if (pid < 0) {
        const code = errno();
        if (code === C.EINTR) continue;
        if (code !== C.ECHILD) {
          this.#log.warn("supervisor.waitpid.failed", { error: strerror(code) });
        }
        return;
      }
      this.#dispatch(pid, statusBuf[0]!);
    }
  }

  #reapPid(pid: number): void {
    const statusBuf = new Int32Array(1);
    const r = libc().waitpid(pid, statusBuf, C.WNOHANG);
    if (r === pid) return this.#dispatch(pid, statusBuf[0]!);
    if (r >= 0) return;
    const code = errno();
    if (code !== C.EINTR) {
      const w = this.#waiters.get(pid);
      this.#waiters.delete(pid);
      w?.reject(new SyscallError({ syscall: "waitpid", errno: code, detail: `pid ${pid}` }));
    }
  }

  #dispatch(pid: number, raw: number): void {
    const status = decodeWaitStatus(raw);
    if (status === undefined) return;
    const w = this.#waiters.get(pid);
    if (w === undefined) {
      this.orphansReaped++;
      this.#log.debug("supervisor.orphan.reaped", { pid, status: status.code });
      return;
    }
    this.#waiters.delete(pid);
    w.resolve(status);
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#clock.setTimer(this.#pollIntervalMs, () => {
      this.#timer = undefined;
      this.reapNow();
      if (this.#waiters.size > 0) this.#arm();
    });
  }
}
