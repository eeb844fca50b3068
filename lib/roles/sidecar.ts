/**
 * `shoal sidecar`: registers the tasks that announce themselves over gossip as HAProxy servers.
 *
 * The composition root: builds the logger, the gossip member (`role=sidecar`), the HAProxy
 * runtime client and reconciler, the registry, and — with `-- haproxy ...` — HAProxy itself as a
 * supervised child. Start order: gossip first (so tasks can announce at once; announces are
 * recorded and applied later), join (re-tried in the background when unreachable), then wait for
 * HAProxy, adopt the servers it already has, apply, and solicit every task.
 *
 * A supervised HAProxy that dies is started again (see {@linkcode HaproxyChild}); the sidecar
 * stays in the cluster, puts back every server it knows as soon as the new HAProxy answers and
 * solicits every task. With `--server-state-file`, the state is saved before a forwarded reload.
 *
 * Stop order on SIGTERM/SIGINT: answer departs in progress, leave the cluster, stop the
 * reconciler (servers stay in HAProxy), then stop a supervised HAProxy. Exit status 0; 1 when
 * HAProxy cannot be managed, a supervised HAProxy keeps dying, or gossip shuts down; 0 too when a
 * supervised HAProxy stops cleanly by itself.
 *
 * @module
 */

import { type Clock, type Prng, systemClock } from "../clock.ts";
import type { SidecarConfig } from "../config.ts";
import type { RuntimeClient } from "../haproxy/client.ts";
import type { Reconciler } from "../haproxy/reconciler.ts";
import type { Connector } from "../haproxy/transport.ts";
import { errorText } from "../log/error_text.ts";
import type { Logger } from "../log/logger.ts";
import { MemberStatus } from "../serf/members.ts";
import { Spawner } from "../supervisor/spawn.ts";
import { type GossipHost, GossipRuntime } from "./gossip_runtime.ts";
import { denoGossipHost } from "./gossip_runtime_host.ts";
import { denoProcessHost } from "../supervisor/process_host.ts";
import { Rejoiner } from "./rejoin.ts";
import { HaproxyChild } from "./sidecar/haproxy_child.ts";
import { buildManager, type Ending, startManaging } from "./sidecar/manager.ts";
import type { SidecarService } from "./sidecar/service.ts";
import { joinWithRetry, type WaitDeps } from "./sidecar/wait.ts";
import { stopSignals } from "./signals.ts";
import { roleLog } from "./role_log.ts";
import type { LogTap } from "../log/tap.ts";
import { probeOf, type RoleProbe } from "./role_probe.ts";

export { SERVER_CHECK } from "./sidecar/manager.ts";

/** Longest wait for a supervised HAProxy to exit after SIGTERM, before SIGKILL. */
export const HAPROXY_STOP_TIMEOUT_MS = 10_000;

/**
 * What the sidecar takes from outside, for the simulator; `main.ts` passes none and gets the
 * real ones (system clock, `Math.random`, the configured logger, sockets, signals).
 */
export interface SidecarDeps {
  readonly clock?: Clock;
  readonly prng?: Prng;
  readonly logger?: Logger;
  /** Gossip transport, advertise address, host resolution... @default {@linkcode denoGossipHost} */
  readonly gossip?: Partial<GossipHost>;
  /** Opens HAProxy admin connections. @default the UNIX socket `--haproxy-socket` */
  readonly connector?: Connector;
  /** Resolves when the sidecar should stop gracefully. @default SIGTERM or SIGINT */
  readonly stop?: { readonly signal: Promise<string>; dispose(): void };
  /**
   * Starts a supervised HAProxy (`-- haproxy ...`) and, as PID 1, reaps orphans.
   * @default a real {@linkcode Spawner} when a command is given or the sidecar is PID 1, else none
   */
  readonly spawner?: Spawner;
  /** Called once the gossip member and the registry exist, with a read-only view of their sizes. */
  readonly onStarted?: (probe: RoleProbe) => void;
}

/** Runs the sidecar until a stop signal (exit 0) or a fatal condition (exit 1). */
export async function runSidecar(config: SidecarConfig, inject: SidecarDeps = {}): Promise<number> {
  const name = config.gossip.node;
  const { logTap, log } = roleLog(config, { node: name, role: "sidecar", sidecar: name }, inject);
  const clock: Clock = inject.clock ?? systemClock;
  const prng: Prng = inject.prng ?? Math.random;
  const stop = inject.stop ?? stopSignals(log, denoProcessHost);
  const abort = new AbortController();
  let end!: (e: Ending) => void;
  const ended = new Promise<Ending>((resolve) => (end = resolve)).then((e) => {
    abort.abort();
    return e;
  });
  stop.signal.then((signal) => end({ why: `signal ${signal}`, code: 0 }));
  const deps: WaitDeps = { clock, prng, log, signal: abort.signal };
  const ref: { service?: SidecarService; reconciler?: Reconciler } = {};
  const spawner = inject.spawner ??
    (config.haproxyCommand.length > 0 || Deno.pid === 1
      ? new Spawner({ clock, logger: log })
      : undefined);
  const started = await startProcesses(config, { ...deps, spawner, logTap, end, ref, inject });
  const { child, runtime } = started;
  if (runtime === undefined) {
    end({ why: "start failed", code: 1 });
    await ended; // aborts the waits, so stopping a supervised HAProxy is not taken for a crash
    await shutdown({ log, child, spawner, runtime, stopSignals: stop });
    return 1;
  }
  const { client, reconciler, service, meter, registry } = buildManager(
    config,
    runtime,
    deps,
    inject,
  );
  inject.onStarted?.(probeOf(runtime, () => registry.size));
  ref.service = service;
  ref.reconciler = reconciler;
  try {
    runtime.serveMetrics(config.gossip.metricsAddr, () => meter.health(staleAfterMs(config)));
  } catch (err) {
    log.error("sidecar.metrics_failed", { error: errorText(err) });
    end({ why: "metrics failed", code: 1 });
    await ended;
    await shutdown({ log, child, spawner, runtime, client, stopSignals: stop });
    return 1;
  }
  service.start();
  const rejoiner = sidecarRejoiner(runtime, config, deps);
  void joinCluster(runtime, config, { ...deps, onJoined: () => void service.solicit("joined") })
    .then(() => abort.signal.aborted || rejoiner?.start());
  void startManaging(reconciler, service, { ...deps, end, config });
  const ending = await ended;
  log.info("sidecar.stopping", { reason: ending.why });
  rejoiner?.stop();
  await service.stop();
  await shutdown({ log, child, spawner, runtime, reconciler, client, stopSignals: stop });
  log.info("sidecar.stopped", { code: ending.code });
  return ending.code;
}

/**
 * Starts a supervised HAProxy (with `-- haproxy ...`) and the gossip member; `runtime` is
 * undefined when something failed (logged).
 */
async function startProcesses(
  config: SidecarConfig,
  deps: WaitDeps & {
    spawner: Spawner | undefined;
    logTap: LogTap;
    end: (e: Ending) => void;
    ref: { service?: SidecarService; reconciler?: Reconciler };
    inject: SidecarDeps;
  },
): Promise<{ child: HaproxyChild | undefined; runtime: GossipRuntime | undefined }> {
  const { log, logTap, clock, prng, end } = deps;
  let child: HaproxyChild | undefined;
  try {
    if (deps.spawner && config.haproxyCommand.length > 0) {
      child = HaproxyChild.start(deps.spawner, config.haproxyCommand, {
        log,
        clock,
        host: denoProcessHost,
        // A reload reads the state file: make it current first (slot mode).
        ...(config.serverStateFile === null ? {} : {
          beforeReload: async () => void await deps.ref.reconciler?.reconcileOnce(),
        }),
        onReload: () => deps.ref.service?.afterReload(),
        logOutput: config.logHaproxy,
        onRestart: () => {
          deps.ref.service?.afterReload();
          void deps.ref.service?.solicit("haproxy restarted");
        },
        onGiveUp: (why) => {
          if (!deps.signal.aborted) end({ why, code: 1 });
        },
        onStopped: () => {
          if (!deps.signal.aborted) end({ why: "haproxy stopped", code: 0 });
        },
      });
    }
    const runtime = await GossipRuntime.start(config.gossip, {
      ...denoGossipHost,
      ...deps.inject.gossip,
      roleTags: new Map([["role", "sidecar"]]),
      logger: log,
      logTap,
      clock,
      prng,
      onShutdown: (reason) => end({ why: `gossip shutdown: ${reason}`, code: 1 }),
      onRpcLeave: () => end({ why: "rpc leave", code: 0 }),
    });
    return { child, runtime };
  } catch (err) {
    log.error("sidecar.start_failed", { error: errorText(err) });
    return { child, runtime: undefined };
  }
}

/** `/healthz` turns unhealthy when HAProxy has not answered for three periodic passes (30 s at least). */
function staleAfterMs(config: SidecarConfig): number {
  return Math.max(3 * config.reconcileIntervalMs, 30_000);
}

/** Rejoins from the snapshot, else joins `--join` (re-tried in the background until it works). */
async function joinCluster(
  runtime: GossipRuntime,
  config: SidecarConfig,
  deps: WaitDeps & { onJoined: () => void },
): Promise<void> {
  if (await runtime.rejoinFromSnapshot()) return deps.onJoined();
  if (config.gossip.join.length === 0) {
    deps.log.info("sidecar.cluster.started", { reason: "no --join: first member" });
    return;
  }
  await joinWithRetry(runtime, config.gossip.join, deps);
}

/**
 * With join targets (`--join` or a snapshot), a sidecar left without any alive peer (every task
 * and the other sidecars failed or left, or it was partitioned) joins them again, as tasks do.
 */
function sidecarRejoiner(
  runtime: GossipRuntime,
  config: SidecarConfig,
  { clock, prng, log }: WaitDeps,
): Rejoiner | undefined {
  if (config.gossip.join.length === 0 && runtime.snapshot === null) return undefined;
  const self = runtime.node.localName;
  const rejoiner = new Rejoiner({
    needed: () =>
      runtime.serf.members().some((m) => m.name !== self && m.status === MemberStatus.Alive)
        ? null
        : "no alive peer",
    targets: () => Promise.resolve([...config.gossip.join]),
    join: async (addrs) =>
      addrs.length > 0 ? await runtime.join(addrs) : (await runtime.rejoinFromSnapshot()) ? 1 : 0,
    clock,
    prng,
    log,
    event: "sidecar.rejoin",
  });
  // the loss of the last peer is noticed at its event, not at the loop's backstop look
  runtime.serf.subscribe((e) => {
    if (e.type === "member-leave" || e.type === "member-failed") rejoiner.poke();
  });
  return rejoiner;
}

async function shutdown(parts: {
  log: Logger;
  child: HaproxyChild | undefined;
  spawner: Spawner | undefined;
  runtime: GossipRuntime | undefined;
  reconciler?: Reconciler;
  client?: RuntimeClient;
  stopSignals: { dispose(): void };
}): Promise<void> {
  await parts.runtime?.leave();
  await parts.reconciler?.stop();
  await parts.client?.close();
  if (parts.child) {
    const status = await parts.child.stop(HAPROXY_STOP_TIMEOUT_MS);
    parts.log.info("haproxy.process.stopped", { status: status?.description ?? "unknown" });
  }
  parts.spawner?.close();
  parts.stopSignals.dispose();
}
