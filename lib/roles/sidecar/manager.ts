/**
 * The sidecar's HAProxy side: the runtime client, the reconciler, the service that feeds it
 * from gossip and the meter, built from the config; then the start of management (wait for
 * HAProxy, adopt what it has, apply, solicit every task).
 *
 * @module
 */

import type { SidecarConfig } from "../../config.ts";
import type { CheckOptions } from "../../haproxy/commands.ts";
import { RuntimeClient } from "../../haproxy/client.ts";
import { BackendCheckError } from "../../haproxy/errors.ts";
import { Reconciler } from "../../haproxy/reconciler.ts";
import type { Connector } from "../../haproxy/transport.ts";
import { errorText } from "../../log/error_text.ts";
import { createSidecarMetrics } from "../../metrics/sidecar_metrics.ts";
import type { GossipRuntime } from "../gossip_runtime.ts";
import { hintField } from "./hints.ts";
import { SidecarMeter } from "./metrics.ts";
import { Registry } from "./registry.ts";
import { SidecarService } from "./service.ts";
import { startReconciler, type WaitDeps } from "./wait.ts";

/**
 * Health checks of the servers the sidecar adds: a check every second, UP after one passing
 * check (a task announces `ready` only once its own readiness check passed, so one more is
 * enough), DOWN after two failures (one lost packet does not take a healthy task out). A server
 * starts DOWN and is checked every 50 ms while it is, so it takes traffic about 0.05 s after it is
 * added rather than a whole `inter` later. The check itself is the backend's
 * (`option httpchk ...`, or a TCP connect).
 */
export const SERVER_CHECK: CheckOptions = { interMs: 1000, rise: 1, fall: 2, downinterMs: 50 };
/** Why and how the sidecar ends. */
export interface Ending {
  readonly why: string;
  readonly code: number;
}

/** The HAProxy client, the reconciler, the service that feeds it from gossip, and the meter. */
export function buildManager(
  config: SidecarConfig,
  runtime: GossipRuntime,
  { clock, log }: WaitDeps,
  inject: { readonly connector?: Connector | undefined },
): {
  client: RuntimeClient;
  reconciler: Reconciler;
  service: SidecarService;
  meter: SidecarMeter;
  registry: Registry;
} {
  const meter = new SidecarMeter(createSidecarMetrics(runtime.registry, { clock }), { clock });
  const client = new RuntimeClient({
    socketPath: config.haproxySocket,
    ...(inject.connector ? { connector: inject.connector } : {}),
    clock,
    logger: log,
    onResults: (results) => meter.commandResults(results),
  });
  const reconciler: Reconciler = new Reconciler(client, {
    backends: config.backends,
    prefix: config.serverPrefix,
    clock,
    logger: log,
    onPass: (report) => meter.pass(report, reconciler, config.backends, config.serverPrefix),
    onPassFailed: () => meter.passFailed(),
    periodMs: config.reconcileIntervalMs,
    drainTimeoutMs: config.drainTimeoutMs,
    ...(config.serverStateFile === null ? {} : { stateFile: config.serverStateFile }),
    serverOptions: config.serverOptions,
  });
  const registry = newRegistry(config);
  const service = new SidecarService({
    serf: runtime.serf,
    reconciler,
    registry,
    backends: config.backends,
    check: SERVER_CHECK,
    solicitIntervalMs: config.solicitIntervalMs,
    clock,
    log,
    meter,
    join: (addr) => runtime.join([addr]),
    ping: (name, timeoutMs) => runtime.node.ping(name, timeoutMs),
  });
  return { client, reconciler, service, meter, registry };
}

function newRegistry(config: SidecarConfig): Registry {
  return new Registry({
    prefix: config.serverPrefix,
    defaultBackend: config.defaultBackend,
    backends: config.backends,
    defaultWeight: config.defaultWeight,
    slowstartMs: config.slowstartMs,
    check: SERVER_CHECK,
    orphanGraceMs: config.orphanGraceMs,
    zone: config.zone,
    serverOptions: config.serverOptions,
  });
}

/** Waits for HAProxy, adopts its servers, applies the registry and starts soliciting. */
export async function startManaging(
  reconciler: Reconciler,
  service: SidecarService,
  deps: WaitDeps & { end: (e: Ending) => void; config: SidecarConfig },
): Promise<void> {
  try {
    if (!(await startReconciler(reconciler, deps))) return;
  } catch (err) {
    deps.log.error("sidecar.haproxy.unusable", {
      socket: deps.config.haproxySocket,
      error: errorText(err),
      ...(err instanceof BackendCheckError ? { backend: err.backend, reason: err.reason } : {}),
      ...hintField(err),
    });
    deps.end({ why: "HAProxy cannot be managed", code: 1 });
    return;
  }
  if (deps.signal.aborted) return;
  if (deps.config.zone !== null) {
    // `backup` is fixed by the server-template line: a slot cannot become one at runtime.
    for (const backend of deps.config.backends) {
      if (reconciler.mode(backend) !== "slots") continue;
      deps.log.warn("sidecar.zone.ignored", {
        backend,
        zone: deps.config.zone,
        reason: "slot mode without a backup template (server-template <prefix>bslot ... backup): " +
          "all tasks are alike here",
      });
    }
  }
  service.adoptAndApply();
  service.startSoliciting();
  deps.log.info("sidecar.running", {
    backends: deps.config.backends.join(","),
    socket: deps.config.haproxySocket,
  });
}
