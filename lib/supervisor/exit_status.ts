/**
 * Decoding of `waitpid` statuses into shell-style exit statuses.
 *
 * @module
 */

const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

/** How a child process ended. */
export interface ExitStatus {
  /** Shell-style status: the exit code, or 128+N when killed by signal N. */
  readonly code: number;
  /** The killing signal's number, or `null` when the process exited normally. */
  readonly signal: number | null;
  /** Human-readable form, e.g. `exited with code 7` or `killed by SIGKILL (9)`. */
  readonly description: string;
}

/**
 * Decodes a raw `waitpid` status word (Linux encoding). Returns `undefined` for a stopped or
 * continued child, which has not ended.
 *
 * @example
 * ```ts
 * import { decodeWaitStatus } from "./exit_status.ts";
 * console.assert(decodeWaitStatus(7 << 8)?.code === 7);
 * console.assert(decodeWaitStatus(9)?.code === 137);
 * ```
 */
export function decodeWaitStatus(raw: number): ExitStatus | undefined {
  const low = raw & 0x7f;
  if (low === 0) return exitedStatus((raw >> 8) & 0xff);
  if (low === 0x7f || raw === 0xffff) return undefined;
  return signaledStatus(low);
}

/** The status of a process that exited with `code`. */
export function exitedStatus(code: number): ExitStatus {
  return { code, signal: null, description: `exited with code ${code}` };
}

/** The status of a process killed by signal number `signal`. */
export function signaledStatus(signal: number): ExitStatus {
  const name = SIGNAL_NAMES[signal] ?? "signal";
  return { code: 128 + signal, signal, description: `killed by ${name} (${signal})` };
}
