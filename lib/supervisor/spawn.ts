/**
 * Starting child processes with `posix_spawnp` through FFI, with one {@linkcode Reaper}.
 *
 * Why not `Deno.Command`: it cannot pass an extra fd, and as PID 1 our reaper must own every
 * child's status. Children get clean signal dispositions (every signal at its default, SIGPIPE
 * included, which Deno ignores in the parent) and an empty signal mask. Every fd of ours above the
 * ones we pass is closed in the child (`addclosefrom_np`), whatever its CLOEXEC flag.
 *
 * @module
 */

import { C, cString, cStringArray, libc, SIG, strerror } from "./_libc.ts";
import { SpawnError, SyscallError } from "./errors.ts";
import type { ExitStatus } from "./exit_status.ts";
import { Reaper, type ReaperOptions } from "./reaper.ts";
import { pipeReadable } from "./pipe.ts";

/** What to do with a child's stdout or stderr: share ours, a pipe to us, or `/dev/null`. */
export type StdioMode = "inherit" | "pipe" | "null";

/** Options for {@linkcode Spawner.spawn}. */
export interface SpawnOptions {
  /** Program and arguments; `argv[0]` is looked up in `PATH` of the parent. */
  argv: readonly string[];
  /** The child's complete environment (the caller passes its process's, or less). */
  env: Readonly<Record<string, string>>;
  /** A parent fd that the child receives as fd 3. */
  extraFd?: number;
  /** Working directory of the child. */
  cwd?: string;
  /** @default {"inherit"} */
  stdout?: StdioMode;
  /** @default {"inherit"} */
  stderr?: StdioMode;
}

/** A started child. */
export interface SpawnedProcess {
  readonly pid: number;
  /** Resolves once with the exit status, as soon as the reaper collects it. */
  readonly status: Promise<ExitStatus>;
  /** The child's stdout when spawned with `stdout: "pipe"`. */
  readonly stdout: ReadableStream<Uint8Array> | undefined;
  /** The child's stderr when spawned with `stderr: "pipe"`. */
  readonly stderr: ReadableStream<Uint8Array> | undefined;
  /** Sends `signal`; false when the child has already been reaped or is gone. */
  kill(signal?: Deno.Signal | number): boolean;
}

/**
 * Spawns children and collects their statuses. Create one per process and share it (the gossip
 * sidecar runs haproxy through the same one).
 *
 * @example
 * ```ts ignore
 * import { Spawner } from "./spawn.ts";
 * import { systemClock } from "../clock.ts";
 * const spawner = new Spawner({ clock: systemClock });
 * const child = spawner.spawn({ argv: ["sh", "-c", "exit 7"], env: { PATH: "/usr/bin:/bin" } });
 * console.assert((await child.status).code === 7);
 * spawner.close();
 * ```
 */
export class Spawner {
  readonly reaper: Reaper;

  constructor(options: ReaperOptions) {
    this.reaper = new Reaper(options);
  }

  /** Starts a child; throws {@linkcode SpawnError} when `posix_spawnp` fails. */
  spawn(options: SpawnOptions): SpawnedProcess {
    const { argv } = options;
    if (argv.length === 0) throw new SpawnError("Cannot spawn: argv is empty");
    const pipes: number[] = [];
    try {
      const out = options.stdout === "pipe" ? makePipe(pipes) : undefined;
      const err = options.stderr === "pipe" ? makePipe(pipes) : undefined;
      const pid = spawnRaw(options, { stdoutFd: out?.[1], stderrFd: err?.[1] });
      for (const p of [out?.[1], err?.[1]]) if (p !== undefined) libc().close(p);
      const status = this.reaper.watch(pid);
      return new Child({
        pid,
        status,
        alive: () => this.reaper.watching(pid),
        stdout: out && pipeReadable(out[0]),
        stderr: err && pipeReadable(err[0]),
      });
    } catch (e) {
      for (const fd of pipes) libc().close(fd);
      throw e;
    }
  }

  /** Stops reaping; statuses of children still running are no longer collected. */
  close(): void {
    this.reaper.close();
  }
}

class Child implements SpawnedProcess {
  readonly pid: number;
  readonly status: Promise<ExitStatus>;
  readonly stdout: ReadableStream<Uint8Array> | undefined;
  readonly stderr: ReadableStream<Uint8Array> | undefined;
  readonly #alive: () => boolean;

  constructor(parts: {
    pid: number;
    status: Promise<ExitStatus>;
    alive: () => boolean;
    stdout: ReadableStream<Uint8Array> | undefined;
    stderr: ReadableStream<Uint8Array> | undefined;
  }) {
    this.pid = parts.pid;
    this.status = parts.status;
    this.status.catch(() => {});
    this.#alive = parts.alive;
    this.stdout = parts.stdout;
    this.stderr = parts.stderr;
  }

  kill(signal: Deno.Signal | number = "SIGTERM"): boolean {
    // Never signal a collected pid: the kernel may have reused it.
    if (!this.#alive()) return false;
    const num = typeof signal === "number" ? signal : signalNumber(signal);
    return libc().kill(this.pid, num) === 0;
  }
}

/** The Linux number of a signal name. */
export function signalNumber(name: Deno.Signal): number {
  const n = (SIG as Record<string, number>)[name];
  if (n === undefined) throw new RangeError(`Unsupported signal "${name}"`);
  return n;
}

function makePipe(opened: number[]): [number, number] {
  const fds = new Int32Array(2);
  if (libc().pipe2(fds, C.O_CLOEXEC) !== 0) {
    throw SyscallError.last("pipe2");
  }
  opened.push(fds[0]!, fds[1]!);
  return [fds[0]!, fds[1]!];
}

/** Runs posix_spawnp with our file actions and attributes; returns the pid. */
function spawnRaw(
  options: SpawnOptions,
  { stdoutFd, stderrFd }: { stdoutFd: number | undefined; stderrFd: number | undefined },
): number {
  const lc = libc();
  const fa = new Uint8Array(C.SIZEOF_FILE_ACTIONS);
  const attr = new Uint8Array(C.SIZEOF_SPAWNATTR);
  lc.posix_spawn_file_actions_init(fa);
  lc.posix_spawnattr_init(attr);
  let tempFd: number | undefined;
  try {
    let extra = options.extraFd;
    if (extra === 3) {
      // dup2(3, 3) would be a no-op that keeps CLOEXEC; pass a copy instead.
      tempFd = extra = lc.fcntl(3, C.F_DUPFD_CLOEXEC, 10);
      if (extra < 0) throw SyscallError.last("fcntl");
    }
    redirect(fa, 1, { mode: options.stdout, pipeFd: stdoutFd });
    redirect(fa, 2, { mode: options.stderr, pipeFd: stderrFd });
    check(extra === undefined ? 0 : lc.posix_spawn_file_actions_adddup2(fa, extra, 3));
    const closeFrom = lc.posix_spawn_file_actions_addclosefrom_np;
    if (closeFrom !== null) check(closeFrom(fa, extra === undefined ? 3 : 4));
    if (options.cwd !== undefined) {
      const chdir = lc.posix_spawn_file_actions_addchdir_np;
      if (chdir === null) throw new SpawnError("Cannot spawn with cwd: libc lacks addchdir_np");
      check(chdir(fa, cString(options.cwd)));
    }
    setCleanSignals(attr);
    const argv = cStringArray(options.argv);
    const envp = cStringArray(Object.entries(options.env).map(([k, v]) => `${k}=${v}`));
    const pidBuf = new Int32Array(1);
    const rc = lc.posix_spawnp(pidBuf, argv.keep[0]!, fa, attr, argv.array, envp.array);
    if (rc !== 0) {
      throw new SpawnError(`Cannot start "${options.argv[0]}": ${strerror(rc)}`, {
        cause: new SyscallError({ syscall: "posix_spawnp", errno: rc }),
      });
    }
    return pidBuf[0]!;
  } finally {
    lc.posix_spawn_file_actions_destroy(fa);
    lc.posix_spawnattr_destroy(attr);
    if (tempFd !== undefined && tempFd >= 0) lc.close(tempFd);
  }
}

/** Points `target` (1 or 2) at the pipe's write end or at /dev/null; "inherit" keeps ours. */
function redirect(
  fa: Uint8Array,
  target: number,
  { mode, pipeFd }: { mode: StdioMode | undefined; pipeFd: number | undefined },
): void {
  const lc = libc();
  if (pipeFd !== undefined) check(lc.posix_spawn_file_actions_adddup2(fa, pipeFd, target));
  else if (mode === "null") {
    check(lc.posix_spawn_file_actions_addopen(fa, target, cString("/dev/null"), C.O_WRONLY, 0));
  }
}

/** Every signal at its default disposition and none blocked in the child. */
function setCleanSignals(attr: Uint8Array): void {
  const lc = libc();
  const all = new Uint8Array(C.SIZEOF_SIGSET);
  const none = new Uint8Array(C.SIZEOF_SIGSET);
  lc.sigfillset(all);
  lc.sigemptyset(none);
  check(lc.posix_spawnattr_setsigdefault(attr, all));
  check(lc.posix_spawnattr_setsigmask(attr, none));
  check(lc.posix_spawnattr_setflags(attr, C.POSIX_SPAWN_SETSIGDEF | C.POSIX_SPAWN_SETSIGMASK));
}

function check(rc: number): void {
  if (rc !== 0) throw new SpawnError(`Cannot prepare spawn: ${strerror(rc)}`);
}
