/**
 * The task supervisor: binds the listening socket, starts the worker with it as fd 3, waits for
 * readiness, watches health, forwards signals and stops the worker gracefully.
 *
 * It never exits the process; the role decides what to do with the events and the exit status.
 *
 * @module
 */

import { type Clock, deadline, sleep, timeoutSignal } from "../clock.ts";
import { type Logger, nullLogger } from "../log/logger.ts";
import { formatHostPort } from "./address.ts";
import { ReadyTimeoutError, StopTimeoutError, WorkerExitedError } from "./errors.ts";
import { type ExitStatus, signaledStatus } from "./exit_status.ts";
import { HealthTracker } from "./health.ts";
import { type ListenSocket, openListenSocket } from "./listen_fd.ts";
import { pumpLines } from "./log_lines.ts";
import { NotifySocket } from "./notify.ts";
import type { ProcessHost } from "./process_host.ts";
import {
  type ResolvedOptions,
  resolveOptions,
  type SupervisorDeps,
  type SupervisorEvent,
  type SupervisorOptions,
} from "./options.ts";
import { makeCheck } from "./probes.ts";
import { waitForReadiness } from "./readiness.ts";
import { type SpawnedProcess, Spawner } from "./spawn.ts";
import {
  expandPlaceholders,
  findSetpriv,
  parentDeathArgv,
  resolveProgram,
  socketActivationArgv,
  workerEnvironment,
} from "./worker_command.ts";

/**
 * Supervises one worker process.
 *
 * @example
 * ```ts ignore
 * import { Supervisor } from "./supervisor.ts";
 * import { denoProcessHost } from "./process_host.ts";
 * import { systemClock } from "../clock.ts";
 * const sup = new Supervisor({
 *   command: ["python3", "-m", "myapp", "--fd", "{fd}"],
 *   readiness: "http:/healthz",
 *   onEvent: (e) => console.log(e.type),
 * }, { clock: systemClock, host: denoProcessHost });
 * await sup.start(); // bound, spawned and ready
 * const status = await sup.stop(); // SIGTERM, SIGKILL after drainTimeoutMs
 * ```
 */
export class Supervisor {
  readonly #o: ResolvedOptions;
  readonly #clock: Clock;
  readonly #host: ProcessHost;
  readonly #log: Logger;
  readonly #spawner: Spawner;
  readonly #ownsSpawner: boolean;
  #listen: ListenSocket | undefined;
  #notify: NotifySocket | undefined;
  #child: SpawnedProcess | undefined;
  #status: ExitStatus | undefined;
  #exited: Promise<ExitStatus> | undefined;
  #stopping: Promise<ExitStatus> | undefined;
  #cancelled = false;
  readonly #health = new AbortController();
  readonly #forwarders: [Deno.Signal, () => void][] = [];

  constructor(options: SupervisorOptions, deps: SupervisorDeps) {
    this.#o = resolveOptions(options);
    this.#clock = deps.clock;
    this.#host = deps.host;
    this.#log = deps.logger ?? nullLogger;
    this.#ownsSpawner = deps.spawner === undefined;
    this.#spawner = deps.spawner ?? new Spawner({ clock: this.#clock, logger: this.#log });
  }

  /** The bound address, once {@linkcode start} has bound it. */
  get address(): ListenSocket["address"] | undefined {
    return this.#listen?.address;
  }

  /** The worker's pid, once spawned. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Resolves with the worker's exit status whenever it exits (rejects if never spawned). */
  get exited(): Promise<ExitStatus> {
    if (this.#exited === undefined) return Promise.reject(new Error("Worker not started"));
    return this.#exited;
  }

  /**
   * Binds, spawns and waits for readiness. Rejects with `ReadyTimeoutError` (after stopping the
   * worker), `WorkerExitedError`, `ListenError`, `SpawnError` or `SpecError`; on rejection
   * nothing is left running.
   */
  async start(): Promise<void> {
    if (this.#listen !== undefined) throw new Error("Supervisor.start() called twice");
    this.#listen = openListenSocket(this.#o.listen);
    this.#emit({ type: "listening", address: this.#listen.address });
    try {
      if (this.#o.readiness.kind === "notify") this.#notify = await NotifySocket.open(this.#log);
      if (this.#cancelled) throw new WorkerExitedError(signaledStatus(15));
      this.#spawnWorker();
    } catch (e) {
      await this.#cleanup();
      throw e;
    }
    await this.#awaitReady();
    this.#startHealth();
  }

  /** Sends `signal` to the worker; false when it has exited. */
  signal(signal: Deno.Signal): boolean {
    return this.#child?.kill(signal) ?? false;
  }

  /**
   * SIGTERM to the worker, SIGKILL after `drainTimeoutMs`; resolves with its exit status.
   * Idempotent. Rejects with `StopTimeoutError` if it survives the kill grace period.
   * During {@linkcode start} it stops the starting worker, and `start()` rejects with
   * `WorkerExitedError`; before the worker was spawned it cancels the spawn (status 143).
   */
  stop(options: { drainTimeoutMs?: number } = {}): Promise<ExitStatus> {
    if (this.#child === undefined) {
      this.#cancelled = true;
      return Promise.resolve(signaledStatus(15));
    }
    this.#stopping ??= this.#stop(options.drainTimeoutMs ?? this.#o.drainTimeoutMs);
    return this.#stopping;
  }

  async #stop(drainTimeoutMs: number): Promise<ExitStatus> {
    this.#health.abort();
    const exited = this.#exited!;
    if (this.#status !== undefined) return this.#status;
    this.#emit({ type: "stopping", signal: "SIGTERM" });
    this.#child!.kill("SIGTERM");
    const drained = await deadline(this.#clock, drainTimeoutMs, exited);
    if (drained !== undefined) return drained;
    this.#emit({ type: "stopping", signal: "SIGKILL" });
    this.#child!.kill("SIGKILL");
    const killed = await deadline(this.#clock, this.#o.killGraceMs, exited);
    if (killed !== undefined) return killed;
    throw new StopTimeoutError(`Worker ${this.#child!.pid} did not exit after SIGKILL`);
  }

  #spawnWorker(): void {
    const o = this.#o;
    const { port, host } = this.#listen!.address;
    const info = { port, addr: formatHostPort(host, port) };
    const env = workerEnvironment(o.env ?? this.#host.env(), info, {
      socketActivation: o.socketActivation,
      fdName: o.fdName,
      notifySocket: this.#notify?.path,
    });
    const argv = expandPlaceholders(o.command, info);
    argv[0] = resolveProgram(
      argv[0]!,
      env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      this.#host.isExecutableFile,
    );
    const stdio = o.logWorker ? "pipe" : "inherit";
    this.#child = this.#spawner.spawn({
      argv: this.#dieWithParent(o.socketActivation ? socketActivationArgv(argv) : argv, env),
      env,
      extraFd: this.#listen!.fd,
      stdout: stdio,
      stderr: stdio,
      ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
    });
    const child = this.#child;
    this.#emit({ type: "spawned", pid: child.pid });
    if (child.stdout) pumpLines(child.stdout, this.#log, "worker.stdout").catch(() => {});
    if (child.stderr) pumpLines(child.stderr, this.#log, "worker.stderr").catch(() => {});
    this.#exited = child.status.then((s) => this.#onExit(s));
    for (const sig of o.forwardSignals) {
      const forward = () => child.kill(sig);
      this.#host.addSignalListener(sig, forward);
      this.#forwarders.push([sig, forward]);
    }
  }

  async #awaitReady(): Promise<void> {
    const o = this.#o;
    const started = this.#clock.nowMs();
    const ac = new AbortController();
    const t = timeoutSignal(this.#clock, o.readyTimeoutMs, ac.signal);
    this.#exited!.then(() => ac.abort(), () => ac.abort());
    let ready: boolean;
    try {
      ready = await waitForReadiness(o.readiness, {
        ...this.#checkContext(),
        intervalMs: o.readyIntervalMs,
        attemptTimeoutMs: o.probeTimeoutMs,
        notify: this.#notify,
        signal: t.signal,
      });
    } finally {
      t.dispose();
    }
    if (this.#status !== undefined) throw new WorkerExitedError(this.#status);
    if (!ready) {
      this.#log.warn("supervisor.ready.timeout", { timeoutMs: o.readyTimeoutMs });
      const status = await this.stop().catch(() => undefined);
      throw new ReadyTimeoutError({
        readiness: o.readiness.kind,
        timeoutMs: o.readyTimeoutMs,
        status,
      });
    }
    const elapsedMs = this.#clock.nowMs() - started;
    this.#emit({ type: "ready", pid: this.#child!.pid, elapsedMs });
  }

  #startHealth(): void {
    const o = this.#o;
    if (o.health === undefined || this.#status !== undefined) return;
    const check = makeCheck(o.health, this.#checkContext());
    const tracker = new HealthTracker({ rise: o.rise, fall: o.fall });
    const signal = this.#health.signal;
    (async () => {
      while (await sleep(this.#clock, o.healthIntervalMs, { signal })) {
        const ok = await check.run(o.probeTimeoutMs, signal);
        if (signal.aborted) break;
        const change = tracker.observe(ok);
        if (change !== undefined) this.#emit({ type: change });
      }
      check.close();
    })();
  }

  #checkContext() {
    return {
      listen: this.#listen!,
      spawner: this.#spawner,
      clock: this.#clock,
      env: workerEnvironment(this.#o.env ?? this.#host.env(), {
        port: this.#listen!.address.port,
        addr: formatHostPort(this.#listen!.address.host, this.#listen!.address.port),
      }, { socketActivation: false, fdName: this.#o.fdName }),
      cwd: this.#o.cwd,
    };
  }

  /** On Linux, wraps the worker so it dies with us (see {@linkcode parentDeathArgv}). */
  #dieWithParent(argv: string[], env: Record<string, string>): string[] {
    if (this.#host.os !== "linux" || !this.#o.dieWithParent) return argv;
    const setpriv = findSetpriv(
      env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      this.#host.isExecutableFile,
    );
    if (setpriv !== null) return parentDeathArgv(argv, setpriv);
    this.#log.warn("worker.pdeathsig_unavailable", {
      reason: "setpriv (util-linux) not found: the worker outlives a SIGKILLed shoal task",
    });
    return argv;
  }

  async #onExit(status: ExitStatus): Promise<ExitStatus> {
    this.#status = status;
    this.#log.info("worker.exited", { pid: this.#child?.pid, code: status.code });
    await this.#cleanup();
    this.#emit({ type: "exited", status });
    return status;
  }

  async #cleanup(): Promise<void> {
    this.#health.abort();
    for (const [sig, fn] of this.#forwarders.splice(0)) this.#host.removeSignalListener(sig, fn);
    this.#listen?.close();
    await this.#notify?.close();
    if (this.#ownsSpawner) this.#spawner.close();
  }

  #emit(event: SupervisorEvent): void {
    this.#log.debug(`supervisor.${event.type}`, { ...event });
    try {
      this.#o.onEvent(event);
    } catch (e) {
      this.#log.error("supervisor.onEvent.failed", { error: String(e) });
    }
  }
}
