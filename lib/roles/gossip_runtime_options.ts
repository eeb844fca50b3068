/**
 * What a role passes to {@linkcode GossipRuntime.start} besides its gossip settings, and the
 * host-facing defaults it falls back on (DNS for join targets).
 *
 * @module
 */

import type { Clock, Prng } from "../clock.ts";
import type { Endpoint, GossipConfig } from "../config.ts";
import { JoinDnsError } from "../gossip/join_diagnostics.ts";
import type { Transport } from "../gossip/types.ts";
import type { Logger } from "../log/logger.ts";
import type { LogTap } from "../log/tap.ts";

/** What a role adds to its gossip settings. */
export interface GossipRuntimeOptions {
  /** Tags the role sets (e.g. `role=task`); the user's `--tag` values win on conflict. */
  readonly roleTags?: ReadonlyMap<string, string>;
  /** The role `shoal_build_info` reports. @default the `role` role tag, else "agent" */
  readonly role?: string;
  readonly logger: Logger;
  /**
   * The tap `serf monitor` reads, when the role already wrapped `logger` in it (to include its own
   * events); otherwise the runtime taps `logger` itself.
   */
  readonly logTap?: LogTap;
  /** Time for every timer of the runtime (the composition root passes `systemClock`). */
  readonly clock: Clock;
  /** Randomness of gossip target choice and jitter (the root passes `Math.random`). */
  readonly prng: Prng;
  /** Called when serf shuts itself down (it lost a name conflict). */
  readonly onShutdown?: (reason: string) => void;
  /** Called when an RPC client asked us to leave. */
  readonly onRpcLeave?: () => void;
  /** Binds the gossip transport (a simulated network in the simulator). @default DenoTransport */
  readonly listen?: (bind: Endpoint, log: Logger) => Transport;
  /** Chooses the advertised address. @default from flags, environment, metadata, interfaces */
  readonly advertise?: (cfg: GossipConfig) => Promise<{ host: string; source: string }>;
  /** Resolves a join target's host name. @default DNS A and AAAA */
  readonly resolveHost?: (name: string) => Promise<string[]>;
}

/** A and AAAA records of `name`; throws the DNS error when neither lookup worked. */
export async function resolveHost(name: string): Promise<string[]> {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(name, "A"),
    Deno.resolveDns(name, "AAAA"),
  ]);
  if (a.status === "rejected" && aaaa.status === "rejected") {
    const why = a.reason instanceof Error ? a.reason.message : String(a.reason);
    throw new JoinDnsError(`Cannot resolve ${JSON.stringify(name)}: ${why}`);
  }
  return [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
}
