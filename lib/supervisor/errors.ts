/**
 * Operating errors of the supervisor. Classify them with `instanceof`.
 *
 * @module
 */

import { NamedError } from "../named_error.ts";
import { errno as lastErrno, strerror } from "./_libc.ts";
import type { ExitStatus } from "./exit_status.ts";

/** A libc call failed; `errno` is the raw error number. */
export class SyscallError extends NamedError {
  /** The failed call, e.g. `bind`. */
  readonly syscall: string;
  /** The `errno` value. */
  readonly errno: number;
  constructor(what: { syscall: string; errno: number; detail?: string }, options?: ErrorOptions) {
    const detail = what.detail === undefined ? "" : ` (${what.detail})`;
    super(
      `${what.syscall} failed: ${strerror(what.errno)}${detail} (errno ${what.errno})`,
      options,
    );
    this.syscall = what.syscall;
    this.errno = what.errno;
  }

  /** The error for `syscall` from the calling thread's current `errno`. */
  static last(syscall: string): SyscallError {
    return new SyscallError({ syscall, errno: lastErrno() });
  }
}

/** The listening socket could not be created or bound. */
export class ListenError extends NamedError {}

/** The worker (or a probe command) could not be started. */
export class SpawnError extends NamedError {}

/** A readiness, health or address specification is malformed. */
export class SpecError extends NamedError {}

/** The worker did not become ready within the ready timeout; it has been stopped. */
export class ReadyTimeoutError extends NamedError {
  /** The configured timeout. */
  readonly timeoutMs: number;
  /** How the worker ended after it was stopped. */
  readonly status: ExitStatus | undefined;
  constructor(
    what: { readiness: string; timeoutMs: number; status: ExitStatus | undefined },
    options?: ErrorOptions,
  ) {
    super(`Worker did not become ready (${what.readiness}) within ${what.timeoutMs} ms`, options);
    this.timeoutMs = what.timeoutMs;
    this.status = what.status;
  }
}

/** The worker exited before it became ready. */
export class WorkerExitedError extends NamedError {
  /** How the worker ended. */
  readonly status: ExitStatus;
  constructor(status: ExitStatus, options?: ErrorOptions) {
    super(`Worker exited before it became ready: ${status.description}`, options);
    this.status = status;
  }
}

/** The worker did not exit even after SIGKILL and the kill grace period. */
export class StopTimeoutError extends NamedError {}
