/**
 * The task supervisor: one worker process, a listening socket handed over as fd 3, readiness,
 * health, signals and exit status; plus the FFI spawner and reaper the rest of shoal shares.
 *
 * @example
 * ```ts ignore
 * import { denoProcessHost, Supervisor } from "./mod.ts";
 * import { systemClock } from "../clock.ts";
 * const host = denoProcessHost;
 * const sup = new Supervisor({ command: ["python3", "server.py"], onEvent: console.log }, {
 *   clock: systemClock,
 *   host,
 * });
 * await sup.start();
 * host.addSignalListener("SIGTERM", async () => host.exit((await sup.stop()).code));
 * ```
 *
 * @module
 */

export { connectHost, formatHostPort, type ListenAddress, parseListenAddress } from "./address.ts";
export {
  ListenError,
  ReadyTimeoutError,
  SpawnError,
  SpecError,
  StopTimeoutError,
  SyscallError,
  WorkerExitedError,
} from "./errors.ts";
export { decodeWaitStatus, type ExitStatus } from "./exit_status.ts";
export { HealthTracker, type HealthTrackerOptions } from "./health.ts";
export { type BoundAddress, type ListenSocket, openListenSocket } from "./listen_fd.ts";
export type { SupervisorDeps, SupervisorEvent, SupervisorOptions } from "./options.ts";
export {
  type HealthSpec,
  parseDurationMs,
  parseHealthSpec,
  parseReadinessSpec,
  type ReadinessSpec,
} from "./probe_spec.ts";
export { denoProcessHost, type ProcessHost } from "./process_host.ts";
export { Reaper, type ReaperOptions } from "./reaper.ts";
export {
  signalNumber,
  type SpawnedProcess,
  Spawner,
  type SpawnOptions,
  type StdioMode,
} from "./spawn.ts";
export { Supervisor } from "./supervisor.ts";
