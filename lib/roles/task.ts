/**
 * `shoal task`: supervises one worker on a socket handed over as fd 3, and once the worker is
 * ready joins the cluster (`role=task`) and announces it to the sidecars; on SIGTERM it departs
 * (the sidecars drain it from HAProxy) before the worker is stopped, then leaves and exits with
 * the worker's status.
 *
 * The composition root: builds the logger, the gossip member, the supervisor and the
 * {@linkcode TaskRunner} from the config. The lifecycle lives in `task/lifecycle.ts`.
 *
 * @module
 */

import { type Clock, type Prng, systemClock } from "../clock.ts";
import type { TaskConfig } from "../config.ts";
import { errorText } from "../log/error_text.ts";
import type { Logger } from "../log/logger.ts";
import { formatHostPort, Supervisor, type SupervisorEvent } from "../supervisor/mod.ts";
import { createTaskMetrics, type TaskMetrics } from "../metrics/mod.ts";
import { type GossipHost, GossipRuntime } from "./gossip_runtime.ts";
import { denoGossipHost } from "./gossip_runtime_host.ts";
import { denoProcessHost } from "../supervisor/process_host.ts";
import { stopSignals } from "./signals.ts";
import { roleLog } from "./role_log.ts";
import { probeOf, type RoleProbe } from "./role_probe.ts";
import { denoSrvResolver, resolveJoinTargets } from "./task/join_targets.ts";
import { FAILURE_EXIT_CODE, KILL_GRACE_MS, stopBudgetMs } from "./task/lifecycle.ts";
import { TaskRunner, taskTags, type TaskWorker } from "./task/runner.ts";
import { chooseZone } from "./task/zone.ts";
import type { AdvertiseDeps } from "./task/advertise.ts";

/**
 * What the task takes from outside, for the simulator; `main.ts` passes none and gets the real
 * ones (system clock, `Math.random`, the configured logger, sockets, signals, a real worker).
 */
export interface TaskDeps {
  readonly clock?: Clock;
  readonly prng?: Prng;
  readonly logger?: Logger;
  /** Gossip transport, advertise address, host resolution... @default {@linkcode denoGossipHost} */
  readonly gossip?: Partial<GossipHost>;
  /** Resolves when the task should stop gracefully. @default SIGTERM or SIGINT */
  readonly stop?: { readonly signal: Promise<string>; dispose(): void };
  /** Starts the worker. @default a {@linkcode Supervisor} running `config.worker` */
  readonly worker?: (onEvent: (e: SupervisorEvent) => void) => TaskWorker;
  /** Looks up `--join-srv` records. @default DNS */
  readonly resolveSrv?: typeof denoSrvResolver;
  /** Environment and HTTP for the zone's metadata lookup (ECS, EC2). @default the process's */
  readonly metadata?: AdvertiseDeps;
  /** Called once the gossip member runs, with a read-only view of its queue and table sizes. */
  readonly onStarted?: (probe: RoleProbe) => void;
}

/**
 * Runs the task until the worker has exited and the task has left; resolves to the exit status
 * (the worker's, 128+N when a signal killed it; 1 when it never became ready).
 *
 * @example
 * ```ts ignore
 * import { runTask } from "./task.ts";
 * import { parseCommandLine } from "../cli/program.ts";
 * const key = Deno.env.get("SHOAL_ENCRYPT") ?? "";
 * const argv = ["task", "--join", "10.0.0.2", "--encrypt", key, "--", "python3", "app.py"];
 * const parsed = parseCommandLine(argv, {
 *   env: (n) => Deno.env.get(n), hostname: () => Deno.hostname(),
 * });
 * if (parsed.kind === "run" && parsed.config.role === "task") {
 *   Deno.exit(await runTask(parsed.config));
 * }
 * ```
 */
export async function runTask(config: TaskConfig, inject: TaskDeps = {}): Promise<number> {
  const { logTap, log } = roleLog(config, { node: config.gossip.node, role: "task" }, inject);
  const clock = inject.clock ?? systemClock;
  const prng = inject.prng ?? Math.random;
  const stop = inject.stop ?? stopSignals(log, denoProcessHost);
  // The gossip callbacks and the supervisor's events exist before the runner that handles them.
  const late: { runner?: TaskRunner } = {};
  const requestStop = (reason: string) => late.runner?.requestStop(reason);
  let runtime: GossipRuntime | undefined;
  let worker: TaskWorker;
  let metrics: TaskMetrics;
  const tags = await withZone(config, log, inject.metadata);
  try {
    runtime = await GossipRuntime.start(
      // role and state are ours: a user --tag cannot override them.
      { ...config.gossip, tags: taskTags(tags, "starting") },
      {
        ...denoGossipHost,
        ...inject.gossip,
        role: "task",
        logger: log,
        logTap,
        clock,
        prng,
        // serf shut itself down: we lost a name conflict. Stop, and exit non-zero.
        onShutdown: (reason) => late.runner?.fail(reason),
        onRpcLeave: () => requestStop("rpc leave"),
      },
    );
    metrics = createTaskMetrics(runtime.registry);
    const m = metrics;
    const onEvent = (e: SupervisorEvent) => {
      observeWorker(m, e);
      late.runner?.onWorkerEvent(e);
    };
    worker = inject.worker
      ? inject.worker(onEvent)
      : newSupervisor(config, { clock, log }, onEvent);
    runtime.serveMetrics(config.gossip.metricsAddr, () => {
      const worker = workerHealth(m);
      return worker.ok && late.runner ? late.runner.registrationHealth() : worker;
    });
  } catch (err) {
    log.error("task.start_failed", { error: errorText(err) });
    await runtime?.close();
    stop.dispose();
    return FAILURE_EXIT_CODE;
  }
  const gossip = runtime;
  inject.onStarted?.(probeOf(gossip));
  const local = gossip.node.localNode();
  log.info("task.advertise", {
    addr: local.host,
    gossipPort: local.port,
    listen: formatHostPort(config.listenAddr.host, config.listenAddr.port),
    stopBudgetMs: stopBudgetMs(config),
  });
  const runner = new TaskRunner({
    gossip: {
      serf: gossip.serf,
      advertiseHost: local.host,
      localName: gossip.node.localName,
      suspected: () => gossip.suspected(),
      onSuspect: (listener) => gossip.onSuspect(listener),
      join: (addrs) => gossip.join(addrs),
      leave: () => gossip.leave(),
      close: () => gossip.close(),
    },
    worker,
    tags,
    backend: config.backend,
    weight: config.weight,
    drainTimeoutMs: config.drainTimeoutMs,
    joinTargets: () =>
      resolveJoinTargets({
        join: config.gossip.join,
        joinSrv: config.joinSrv,
        resolveSrv: inject.resolveSrv ?? denoSrvResolver,
        log,
      }),
    clock,
    prng,
    log,
    onAnnounceAnswer: (accepted, seconds) => {
      metrics.announces.inc({ result: accepted ? "accepted" : "rejected" });
      if (accepted) metrics.announceDuration.observe(seconds);
    },
    onRegistered: (n) => metrics.registered.set(n),
  });
  late.runner = runner;
  stop.signal.then((sig) => requestStop(sig));
  const code = await runner.run();
  stop.dispose();
  return code;
}

/**
 * The user's tags plus `zone`: `--zone`, else a `--tag zone=...`, else the ECS/EC2 metadata's;
 * the choice is logged.
 */
async function withZone(
  config: TaskConfig,
  log: Logger,
  metadata: AdvertiseDeps = {
    env: (n) => Deno.env.get(n),
    fetch,
    interfaces: () => Deno.networkInterfaces(),
  },
): Promise<Map<string, string>> {
  const tags = new Map(config.gossip.tags);
  const choice = config.zone === null && tags.has("zone") ? undefined : await chooseZone(
    config.zone,
    metadata,
  );
  if (choice !== undefined) tags.set("zone", choice.zone);
  log.info("task.zone", {
    zone: choice?.zone ?? tags.get("zone") ?? "",
    source: choice?.source ?? (tags.has("zone") ? "tag" : "none"),
  });
  return tags;
}

/** Mirrors the supervisor's events into the task metrics. */
function observeWorker(m: TaskMetrics, e: SupervisorEvent): void {
  switch (e.type) {
    case "ready":
      m.setWorkerState("ready");
      m.readySeconds.set(e.elapsedMs / 1000);
      m.healthy.set(1);
      return;
    case "healthy":
      m.healthy.set(1);
      return;
    case "unhealthy":
      m.healthy.set(0);
      return;
    case "stopping":
      m.setWorkerState(e.signal === "SIGTERM" ? "draining" : "stopping");
      return;
    case "exited":
      m.setWorkerState("exited");
      m.healthy.set(0);
      return;
  }
}

/**
 * `/healthz` for a task, first part: its worker must be running and healthy (then the runner's
 * registration must hold, see `task/registration.ts`).
 */
function workerHealth(m: TaskMetrics): { ok: boolean; reason: string } {
  const healthy = m.healthy.value() === 1;
  return healthy
    ? { ok: true, reason: "" }
    : { ok: false, reason: "worker is not ready or not healthy" };
}

/** The worker's supervisor, configured from the task's flags. */
function newSupervisor(
  config: TaskConfig,
  { clock, log }: { clock: Clock; log: Logger },
  onEvent: (e: SupervisorEvent) => void,
): Supervisor {
  return new Supervisor({
    command: config.worker,
    listen: formatHostPort(config.listenAddr.host, config.listenAddr.port),
    readiness: config.ready,
    readyTimeoutMs: config.readyTimeoutMs,
    ...(config.health === null ? {} : { health: config.health }),
    healthIntervalMs: config.healthIntervalMs,
    rise: config.healthRise,
    fall: config.healthFall,
    // The supervisor's drain is the time between SIGTERM and SIGKILL: our --kill-timeout.
    drainTimeoutMs: config.killTimeoutMs,
    killGraceMs: KILL_GRACE_MS,
    logWorker: config.logWorker,
    // The worker learns which task it is (the demo worker prints it).
    env: { ...denoProcessHost.env(), SHOAL_NODE: config.gossip.node },
    onEvent,
  }, { clock, logger: log, host: denoProcessHost });
}
