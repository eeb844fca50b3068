/**
 * The worker's command line and environment: placeholders, the socket-activation variables and
 * the `LISTEN_PID` shim. Pure except {@linkcode resolveProgram}, which stats `PATH` entries.
 *
 * @module
 */

import { SpawnError } from "./errors.ts";

/** The fd number the worker receives the listening socket on. */
export const LISTENER_FD = 3;

/** What the worker is told about its socket. */
export interface WorkerSocketInfo {
  /** The bound port. */
  readonly port: number;
  /** `host:port` as bound, IPv6 bracketed (`[::1]:8080`). */
  readonly addr: string;
}

/**
 * Replaces `{port}`, `{addr}` and `{fd}` in each argument with what the worker sees (fd is
 * always 3). Other braces are left alone.
 *
 * @example
 * ```ts
 * import { expandPlaceholders } from "./worker_command.ts";
 * const argv = expandPlaceholders(["srv", "--bind=fd://{fd}", ":{port}"], { port: 80, addr: "0.0.0.0:80" });
 * console.assert(argv[1] === "--bind=fd://3" && argv[2] === ":80");
 * ```
 */
export function expandPlaceholders(args: readonly string[], info: WorkerSocketInfo): string[] {
  const values: Record<string, string> = {
    port: String(info.port),
    addr: info.addr,
    fd: String(LISTENER_FD),
  };
  return args.map((a) => a.replace(/\{(port|addr|fd)\}/g, (_, k: string) => values[k]!));
}

/** Options for {@linkcode workerEnvironment}. */
export interface WorkerEnvironmentOptions {
  /** Set the systemd socket-activation variables. */
  socketActivation: boolean;
  /** `LISTEN_FDNAMES` value. */
  fdName: string;
  /** `NOTIFY_SOCKET` path, when readiness is `notify`. */
  notifySocket?: string | undefined;
}

/** Variables removed from the inherited environment: they describe *our* activation, not the worker's. */
const STALE_KEYS = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET"];

/**
 * The worker's environment: `base` plus `SHOAL_PORT`, `SHOAL_ADDR`, `SHOAL_LISTENER_FD=3`, and
 * when enabled `LISTEN_FDS=1` and `LISTEN_FDNAMES` (`LISTEN_PID` is set by the shim, see
 * {@linkcode socketActivationArgv}).
 */
export function workerEnvironment(
  base: Readonly<Record<string, string>>,
  info: WorkerSocketInfo,
  options: WorkerEnvironmentOptions,
): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const k of STALE_KEYS) delete env[k];
  env.SHOAL_PORT = String(info.port);
  env.SHOAL_ADDR = info.addr;
  env.SHOAL_LISTENER_FD = String(LISTENER_FD);
  if (options.socketActivation) {
    env.LISTEN_FDS = "1";
    env.LISTEN_FDNAMES = options.fdName;
  }
  if (options.notifySocket !== undefined) env.NOTIFY_SOCKET = options.notifySocket;
  return env;
}

/** The shell that sets `LISTEN_PID` to its own pid, then execs the worker (keeping that pid). */
export const SHIM_SHELL = "/bin/sh";

/**
 * Wraps `argv` so the worker starts with `LISTEN_PID` equal to its own pid: `sh -c` exports
 * `$$` and `exec`s the program, which keeps the pid. `argv[0]` must already be resolved (see
 * {@linkcode resolveProgram}) so a missing program is reported before spawning.
 */
export function socketActivationArgv(argv: readonly string[]): string[] {
  return [SHIM_SHELL, "-c", 'LISTEN_PID=$$ exec "$@"', "shoal-worker", ...argv];
}

/**
 * Wraps `argv` so the worker gets SIGKILL when its parent (`shoal task`) dies, however it dies:
 * util-linux `setpriv --pdeathsig` sets `PR_SET_PDEATHSIG` and `exec`s the worker, which keeps
 * the setting and the pid. (`posix_spawn` cannot set it, and the signal follows the *thread*
 * that spawned: ours is the main thread, which lives as long as the process.)
 *
 * @example
 * ```ts
 * import { parentDeathArgv } from "./worker_command.ts";
 * const argv = parentDeathArgv(["/usr/bin/python3", "app.py"], "/usr/bin/setpriv");
 * console.assert(argv.join(" ") === "/usr/bin/setpriv --pdeathsig SIGKILL -- /usr/bin/python3 app.py");
 * ```
 */
export function parentDeathArgv(argv: readonly string[], setpriv: string): string[] {
  return [setpriv, "--pdeathsig", "SIGKILL", "--", ...argv];
}

/** `setpriv` on `pathList` (or in /usr/bin, /bin), or null when this system has none. */
export function findSetpriv(
  pathList: string,
  isExecutableFile: (path: string) => boolean,
): string | null {
  try {
    return resolveProgram("setpriv", `${pathList}:/usr/bin:/bin`, isExecutableFile);
  } catch (err) {
    if (err instanceof SpawnError) return null; // not found
    throw err;
  }
}

/**
 * Looks `program` up in `pathList` (colon-separated) the way `execvp` does; names with a slash
 * are returned unchanged. Throws {@linkcode SpawnError} when nothing executable is found.
 */
export function resolveProgram(
  program: string,
  pathList: string,
  isExecutableFile: (path: string) => boolean,
): string {
  if (program.includes("/")) return program;
  for (const dir of pathList.split(":")) {
    const candidate = `${dir === "" ? "." : dir}/${program}`;
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new SpawnError(`Cannot start "${program}": not found in PATH`);
}
