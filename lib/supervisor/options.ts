/**
 * {@linkcode SupervisorOptions}, the events a supervisor reports, and their defaults.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { ExitStatus } from "./exit_status.ts";
import type { BoundAddress } from "./listen_fd.ts";
import {
  type HealthSpec,
  parseHealthSpec,
  parseReadinessSpec,
  type ReadinessSpec,
} from "./probe_spec.ts";
import type { ProcessHost } from "./process_host.ts";
import type { Spawner } from "./spawn.ts";

/** Options for {@linkcode Supervisor}. Durations are milliseconds. */
export interface SupervisorOptions {
  /** The worker's program and arguments; `{port}`, `{addr}` and `{fd}` are expanded. */
  command: readonly string[];
  /**
   * Address to bind, `HOST:PORT` or `[V6]:PORT`.
   * @default {"0.0.0.0:0"}
   */
  listen?: string;
  /**
   * When the worker counts as ready: `tcp`, `notify`, `http:PATH`, `exec:CMD` or `delay:DUR`.
   * `tcp` means the worker has accepted a connection made through the bound port (a bare
   * connect would succeed on the parent's backlog before the worker runs).
   * @default {"tcp"}
   */
  readiness?: string | ReadinessSpec;
  /**
   * How long the worker may take to become ready before it is stopped.
   * @default {60_000}
   */
  readyTimeoutMs?: number;
  /**
   * Pause between readiness probe attempts.
   * @default {50}
   */
  readyIntervalMs?: number;
  /** Health check after readiness, `http:PATH` or `exec:CMD`; none when absent. */
  health?: string | HealthSpec;
  /** @default {5_000} */
  healthIntervalMs?: number;
  /**
   * Timeout of one health check (and one `http:`/`exec:` readiness attempt).
   * @default {2_000}
   */
  probeTimeoutMs?: number;
  /**
   * Consecutive successes that make an unhealthy worker healthy.
   * @default {2}
   */
  rise?: number;
  /**
   * Consecutive failures that make a healthy worker unhealthy.
   * @default {3}
   */
  fall?: number;
  /**
   * Time between SIGTERM and SIGKILL in {@linkcode Supervisor.stop}. With the kill grace this
   * stays inside ECS's default 30 s stop timeout.
   * @default {20_000}
   */
  drainTimeoutMs?: number;
  /**
   * Time allowed after SIGKILL for the exit status to arrive.
   * @default {5_000}
   */
  killGraceMs?: number;
  /**
   * Signals received by this process that are forwarded to the worker.
   * @default {["SIGHUP", "SIGUSR1", "SIGUSR2"]}
   */
  forwardSignals?: readonly Deno.Signal[];
  /**
   * Set `LISTEN_FDS`, `LISTEN_FDNAMES` and `LISTEN_PID` (through a `/bin/sh` shim).
   * @default {true}
   */
  socketActivation?: boolean;
  /** @default {"shoal"} */
  fdName?: string;
  /**
   * The worker's base environment (shoal's variables are added).
   * @default the environment of {@linkcode SupervisorDeps.host}
   */
  env?: Readonly<Record<string, string>>;
  /** Working directory of the worker. */
  cwd?: string;
  /**
   * Log the worker's stdout/stderr lines as `worker.stdout`/`worker.stderr` events instead of
   * passing them through.
   * @default {false}
   */
  logWorker?: boolean;
  /**
   * On Linux, SIGKILL the worker when this process dies, however it dies (through util-linux
   * `setpriv --pdeathsig`; a warning is logged when it is missing).
   * @default {true}
   */
  dieWithParent?: boolean;
  /** Called synchronously for every {@linkcode SupervisorEvent}. */
  onEvent?: (event: SupervisorEvent) => void;
}

/** Injected collaborators. */
export interface SupervisorDeps {
  /** Time source (the composition root passes `systemClock`). */
  clock: Clock;
  /**
   * The process: environment, forwarded signals, OS, `PATH` lookups (the composition root
   * passes `denoProcessHost`).
   */
  host: ProcessHost;
  /** @default {nullLogger} */
  logger?: Logger;
  /**
   * The process-wide spawner; when absent the supervisor creates one (reap-all when PID 1) and
   * closes it when the worker has exited.
   */
  spawner?: Spawner;
}

/** What a supervisor reports, in order: listening, spawned, ready, health*, stopping, exited. */
export type SupervisorEvent =
  | { readonly type: "listening"; readonly address: BoundAddress }
  | { readonly type: "spawned"; readonly pid: number }
  | { readonly type: "ready"; readonly pid: number; readonly elapsedMs: number }
  | { readonly type: "healthy" }
  | { readonly type: "unhealthy" }
  | { readonly type: "stopping"; readonly signal: "SIGTERM" | "SIGKILL" }
  | { readonly type: "exited"; readonly status: ExitStatus };

/** Options with every default applied. */
export type ResolvedOptions =
  & Required<Omit<SupervisorOptions, "readiness" | "health" | "cwd" | "onEvent" | "env">>
  & {
    readiness: ReadinessSpec;
    health: HealthSpec | undefined;
    cwd: string | undefined;
    env: Readonly<Record<string, string>> | undefined;
    onEvent: (event: SupervisorEvent) => void;
  };

/** Applies defaults and parses string specifications (throws `SpecError`). */
export function resolveOptions(o: SupervisorOptions): ResolvedOptions {
  if (o.command.length === 0) throw new RangeError("command must not be empty");
  const readiness = typeof o.readiness === "string" || o.readiness === undefined
    ? parseReadinessSpec(o.readiness ?? "tcp")
    : o.readiness;
  const health = typeof o.health === "string" ? parseHealthSpec(o.health) : o.health;
  return {
    command: o.command,
    listen: o.listen ?? "0.0.0.0:0",
    readiness,
    readyTimeoutMs: o.readyTimeoutMs ?? 60_000,
    readyIntervalMs: o.readyIntervalMs ?? 50,
    health,
    healthIntervalMs: o.healthIntervalMs ?? 5_000,
    probeTimeoutMs: o.probeTimeoutMs ?? 2_000,
    rise: o.rise ?? 2,
    fall: o.fall ?? 3,
    drainTimeoutMs: o.drainTimeoutMs ?? 20_000,
    killGraceMs: o.killGraceMs ?? 5_000,
    forwardSignals: o.forwardSignals ?? ["SIGHUP", "SIGUSR1", "SIGUSR2"],
    socketActivation: o.socketActivation ?? true,
    fdName: o.fdName ?? "shoal",
    env: o.env,
    cwd: o.cwd,
    logWorker: o.logWorker ?? false,
    dieWithParent: o.dieWithParent ?? true,
    onEvent: o.onEvent ?? (() => {}),
  };
}
