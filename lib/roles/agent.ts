/**
 * `shoal agent`: a plain gossip member, wire-compatible with `serf agent`, for debugging and interop.
 * Joins, serves the agent RPC, logs every user event and query, and leaves gracefully on
 * SIGTERM/SIGINT (peers then list it as `left`, not `failed`).
 *
 * @module
 */

import { type Clock, type Prng, systemClock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { AgentConfig } from "../config.ts";
import { type GossipHost, GossipRuntime } from "./gossip_runtime.ts";
import { denoGossipHost } from "./gossip_runtime_host.ts";
import { denoProcessHost } from "../supervisor/process_host.ts";
import { stopSignals } from "./signals.ts";
import { roleLog } from "./role_log.ts";
import { errorText } from "../log/error_text.ts";

/**
 * What the agent takes from outside, as the sidecar's and the task's roots do; `main.ts` passes
 * none and gets the real ones (system clock, `Math.random`, the configured logger, sockets,
 * signals).
 */
export interface AgentDeps {
  readonly clock?: Clock;
  readonly prng?: Prng;
  readonly logger?: Logger;
  /** Gossip transport, advertise address, host resolution... @default {@linkcode denoGossipHost} */
  readonly gossip?: Partial<GossipHost>;
  /** Resolves when the agent should leave. @default SIGTERM or SIGINT */
  readonly stop?: { readonly signal: Promise<string>; dispose(): void };
}

/** Runs the agent until a stop signal, an RPC `leave`, or a lost name conflict. */
export async function runAgent(config: AgentConfig, inject: AgentDeps = {}): Promise<number> {
  const { logTap, log } = roleLog(config, { node: config.gossip.node, role: "agent" }, inject);
  const stop = inject.stop ?? stopSignals(log, denoProcessHost);
  let wake!: (why: string) => void;
  const stopped = new Promise<string>((r) => (wake = r));
  let runtime: GossipRuntime;
  try {
    runtime = await GossipRuntime.start(config.gossip, {
      ...denoGossipHost,
      ...inject.gossip,
      logger: log,
      clock: inject.clock ?? systemClock,
      prng: inject.prng ?? Math.random,
      logTap,
      onShutdown: (reason) => wake(`shutdown: ${reason}`),
      onRpcLeave: () => wake("rpc leave"),
    });
  } catch (err) {
    stop.dispose();
    log.error("agent.start_failed", { error: errorText(err) });
    return 1;
  }
  try {
    runtime.serveMetrics(config.gossip.metricsAddr);
  } catch (err) {
    log.error("agent.metrics_failed", { error: errorText(err) });
    await runtime.close();
    stop.dispose();
    return 1;
  }
  const rejoined = await runtime.rejoinFromSnapshot();
  if (config.gossip.join.length > 0 && !rejoined) {
    if ((await runtime.join(config.gossip.join)) === 0) {
      log.error("agent.join_failed", { join: config.gossip.join.join(",") });
      await runtime.close();
      stop.dispose();
      return 1;
    }
  }
  log.info("agent.running", { members: runtime.serf.members().length });
  const why = await Promise.race([stop.signal, stopped]);
  log.info("agent.stopping", { reason: why });
  await runtime.leave();
  stop.dispose();
  return why.startsWith("shutdown") ? 1 : 0;
}
