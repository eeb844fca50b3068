/**
 * memberlist configuration: the knobs of the SWIM/Lifeguard core, named as memberlist names them
 * (with units last), and the `lan`, `wan` and `local` presets with memberlist's defaults
 * (wire spec §6.1).
 *
 * @example
 * ```ts
 * import { gossipConfig } from "./config.ts";
 * const cfg = gossipConfig("lan", { probeIntervalMs: 500 });
 * console.assert(cfg.suspicionMult === 4 && cfg.probeIntervalMs === 500);
 * ```
 *
 * @module
 */

/** Every tunable of the gossip core. */
export interface GossipConfig {
  /** Stream (push/pull, TCP ping) deadline. @default 10 000 (LAN) */
  readonly tcpTimeoutMs: number;
  /** Helpers asked to probe a target that missed its direct ping. @default 3 */
  readonly indirectChecks: number;
  /** Broadcast retransmit multiplier: limit = mult × ceil(log10(n + 1)). @default 4 */
  readonly retransmitMult: number;
  /** Suspicion timeout multiplier (§6.4). @default 4 */
  readonly suspicionMult: number;
  /** Upper suspicion timeout as a multiple of the lower one. @default 6 */
  readonly suspicionMaxTimeoutMult: number;
  /** Anti-entropy push/pull period before scaling; 0 disables. @default 30 000 */
  readonly pushPullIntervalMs: number;
  /** Failure-detector period. @default 1000 */
  readonly probeIntervalMs: number;
  /** Wait for a direct ack before asking helpers. @default 500 */
  readonly probeTimeoutMs: number;
  /** Never fall back to a TCP ping. @default false */
  readonly disableTcpPings: boolean;
  /** Lifeguard health score bound: scores run 0 … max − 1. @default 8 */
  readonly awarenessMaxMultiplier: number;
  /** Gossip period; 0 disables. @default 200 */
  readonly gossipIntervalMs: number;
  /** Gossip targets per round. @default 3 */
  readonly gossipNodes: number;
  /** Dead nodes keep receiving gossip (to refute) and stay in the table this long. @default 30 000 */
  readonly gossipToTheDeadTimeMs: number;
  /** A dead node may come back at a new address after this long; 0 never. @default 0 */
  readonly deadNodeReclaimTimeMs: number;
  /** Compress outgoing messages (UDP only when shorter, TCP always). @default true */
  readonly enableCompression: boolean;
  /** Send-side budget for piggybacking broadcasts. @default 1400 */
  readonly udpBufferSizeBytes: number;
  /**
   * Most nodes kept in the table. Alive messages for new names beyond it are dropped: a bound on
   * what a flood of forged names can cost us. @default 65 536
   */
  readonly nodeTableMax: number;
  /** Most probe/indirect-probe ack handlers awaiting an answer. @default 4096 */
  readonly pendingAcksMax: number;
  /** Most concurrent incoming streams served (memberlist serves 128 push/pulls). @default 128 */
  readonly streamsMax: number;
  /**
   * Most concurrent incoming streams from one source address. A peer has at most a push/pull
   * and a TCP ping in flight to us, but several nodes can share an address (tasks behind one
   * host's NAT starting together); 16 leaves room for that, while one hostile host holding
   * streams open can no longer take all of `streamsMax` and block every join (issue 13).
   * @default 16
   */
  readonly streamsPerSourceMax: number;
  /** memberlist protocol versions we speak: pmin, pmax, pcur. @default [1, 5, 2] */
  readonly protocolVersions: readonly [number, number, number];
  /** Delegate (serf) protocol versions: dmin, dmax, dcur. @default [2, 5, 5] */
  readonly delegateVersions: readonly [number, number, number];
}

/** The memberlist profile a config starts from. */
export type GossipProfile = "lan" | "wan" | "local";

const COMMON = {
  disableTcpPings: false,
  awarenessMaxMultiplier: 8,
  deadNodeReclaimTimeMs: 0,
  enableCompression: true,
  udpBufferSizeBytes: 1400,
  nodeTableMax: 65_536,
  pendingAcksMax: 4096,
  streamsMax: 128,
  streamsPerSourceMax: 16,
  suspicionMaxTimeoutMult: 6,
  protocolVersions: [1, 5, 2] as const,
  delegateVersions: [2, 5, 5] as const,
} satisfies Partial<GossipConfig>;

/** memberlist's DefaultLANConfig: the serf agent default. */
export const LAN_CONFIG: GossipConfig = Object.freeze({
  ...COMMON,
  tcpTimeoutMs: 10_000,
  indirectChecks: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  pushPullIntervalMs: 30_000,
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadTimeMs: 30_000,
});

/** memberlist's DefaultWANConfig. */
export const WAN_CONFIG: GossipConfig = Object.freeze({
  ...LAN_CONFIG,
  tcpTimeoutMs: 30_000,
  suspicionMult: 6,
  pushPullIntervalMs: 60_000,
  probeIntervalMs: 5000,
  probeTimeoutMs: 3000,
  gossipIntervalMs: 500,
  gossipNodes: 4,
  gossipToTheDeadTimeMs: 60_000,
});

/** memberlist's DefaultLocalConfig (loopback). */
export const LOCAL_CONFIG: GossipConfig = Object.freeze({
  ...LAN_CONFIG,
  tcpTimeoutMs: 1000,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  probeTimeoutMs: 200,
  gossipIntervalMs: 100,
  gossipToTheDeadTimeMs: 15_000,
});

const PROFILES: Record<GossipProfile, GossipConfig> = {
  lan: LAN_CONFIG,
  wan: WAN_CONFIG,
  local: LOCAL_CONFIG,
};

/** Thrown when a config value is out of range. */
export class GossipConfigError extends Error {
  override name = "GossipConfigError";
}

/**
 * A config from a profile plus overrides, validated.
 * Throws {@linkcode GossipConfigError} for a non-positive interval or multiplier.
 */
export function gossipConfig(
  profile: GossipProfile = "lan",
  overrides: Partial<GossipConfig> = {},
): GossipConfig {
  const cfg: GossipConfig = { ...PROFILES[profile], ...overrides };
  const positive: (keyof GossipConfig)[] = [
    "tcpTimeoutMs",
    "retransmitMult",
    "suspicionMult",
    "suspicionMaxTimeoutMult",
    "probeIntervalMs",
    "probeTimeoutMs",
    "awarenessMaxMultiplier",
    "udpBufferSizeBytes",
    "nodeTableMax",
    "pendingAcksMax",
    "streamsMax",
    "streamsPerSourceMax",
  ];
  for (const key of positive) {
    const v = cfg[key];
    if (typeof v !== "number" || !(v > 0)) {
      throw new GossipConfigError(`Invalid gossip config: ${key} must be > 0, got ${String(v)}`);
    }
  }
  if (cfg.probeTimeoutMs > cfg.probeIntervalMs) {
    throw new GossipConfigError(
      `Invalid gossip config: probeTimeoutMs (${cfg.probeTimeoutMs}) exceeds probeIntervalMs (${cfg.probeIntervalMs})`,
    );
  }
  return Object.freeze(cfg);
}

/** The 6-byte Vsn we advertise: pmin, pmax, pcur, dmin, dmax, dcur. */
export function vsnOf(cfg: GossipConfig): Uint8Array {
  return Uint8Array.from([...cfg.protocolVersions, ...cfg.delegateVersions]);
}
