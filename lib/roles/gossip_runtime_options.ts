/**
 * What a role passes to {@linkcode GossipRuntime.start} besides its gossip settings: its tags and
 * callbacks, the clock and randomness, and the {@linkcode GossipHost} (transport, advertise
 * address, DNS, snapshot directory). The real host is `denoGossipHost`
 * (`gossip_runtime_host.ts`), which the composition roots pass.
 *
 * @module
 */

import type { Clock, Prng } from "../clock.ts";
import type { Endpoint, GossipConfig } from "../config.ts";
import type { Transport } from "../gossip/types.ts";
import type { Logger } from "../log/logger.ts";
import type { LogTap } from "../log/tap.ts";

/** What the gossip runtime takes from the machine it runs on (a simulated one in the simulator). */
export interface GossipHost {
  /** Binds the gossip transport. */
  readonly listen: (bind: Endpoint, log: Logger) => Transport;
  /** Chooses the advertised address (flags, environment, metadata, interfaces). */
  readonly advertise: (cfg: GossipConfig) => Promise<{ host: string; source: string }>;
  /** Resolves a join target's host name. */
  readonly resolveHost: (name: string) => Promise<string[]>;
  /** Creates `--snapshot-dir` and its parents when missing. */
  readonly makeDir: (path: string) => Promise<void>;
  /** The runtime's version, for `shoal_build_info` (`Deno.version.deno`). */
  readonly runtimeVersion: string;
  /** Wall-clock time, ms since the Unix epoch, for log time stamps (`Date.now`). */
  readonly wallMs: () => number;
}

/** What a role adds to its gossip settings. */
export interface GossipRuntimeOptions extends GossipHost {
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
}
