/**
 * The metrics every gossip member exports (agent, sidecar, task). The gossip shell keeps its own
 * counters; these metrics read a snapshot of them at scrape time, so the hot path of packet
 * handling never touches the registry.
 *
 * @module
 */

import type { Registry } from "./registry.ts";

/** Metric names of the gossip layer. */
export const GOSSIP_METRIC_NAMES = {
  /** Counter: direct probes sent. */
  probes: "shoal_gossip_probes_total",
  /** Counter: probes that got no ack, direct or indirect. */
  probeFailures: "shoal_gossip_probe_failures_total",
  /** Counter: indirect probe requests sent. */
  indirectProbes: "shoal_gossip_indirect_probes_total",
  /** Counter: suspicions this node started about others. */
  suspicions: "shoal_gossip_suspicions_total",
  /** Counter: suspicions about this node that it refuted. */
  refutations: "shoal_gossip_refutations_total",
  /** Counter: members this node declared dead. */
  deaths: "shoal_gossip_deaths_total",
  /** Counter: UDP packets by `direction` (in, out). */
  packets: "shoal_gossip_packets_total",
  /** Counter: UDP payload bytes by `direction` (in, out). */
  bytes: "shoal_gossip_bytes_total",
  /** Counter: packets or compound parts dropped (malformed, wrong key, ...) by `reason`. */
  dropped: "shoal_gossip_dropped_packets_total",
  /** Counter: TCP streams refused because the concurrent-stream bound was reached. */
  streamsRefused: "shoal_gossip_streams_refused_total",
  /** Gauge: queue depths by `queue` (broadcasts, pending_acks, suspicions, streams). */
  queueDepth: "shoal_gossip_queue_depth",
  /** Gauge: members this node knows of, by `status` (alive, failed, left). */
  members: "shoal_gossip_members",
  /** Gauge: Lifeguard local health score (0 = healthy). */
  healthScore: "shoal_gossip_health_score",
  /** Counter: hostile or malformed input refused by a bound of issue 13, by `reason`. */
  refused: "shoal_gossip_refused_total",
} as const;

/**
 * Defines {@linkcode GOSSIP_METRIC_NAMES}.refused, reading `collect()` (reason to count) when
 * scraped.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { registerRefusalMetrics } from "./gossip_metrics.ts";
 * const registry = new Registry();
 * registerRefusalMetrics(registry, () => ({ lamport: 3 }));
 * console.assert(registry.render().includes('shoal_gossip_refused_total{reason="lamport"} 3'));
 * ```
 */
export function registerRefusalMetrics(
  registry: Registry,
  collect: () => Readonly<Record<string, number>>,
): void {
  registry.counterFunc({
    name: GOSSIP_METRIC_NAMES.refused,
    help: "Input refused by a hostile-input bound (Lamport time, size, source budget, ...).",
    labelNames: ["reason"],
    collect: () => Object.entries(collect()).map(([reason, v]) => [{ reason }, v] as const),
  });
}

/**
 * What the gossip shell reports (a structural subset of `GossipMetrics` in
 * `lib/gossip/metrics.ts`, so that snapshot can be passed as is).
 */
export interface GossipMetricsSource {
  readonly probes: number;
  readonly probeFailures: number;
  readonly indirectProbes: number;
  readonly suspicionsStarted: number;
  readonly refutations: number;
  readonly deathsDeclared: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Dropped packets by decode reason; reasons are names from the code, still bounded here. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly streamsRefused: number;
  readonly queueBroadcasts: number;
  readonly pendingAcks: number;
  readonly suspicions: number;
  readonly activeStreams: number;
  readonly nodes: number;
  /** Members by status; left members are not members any more, so they are counted apart. */
  readonly membersByStatus: Readonly<Record<"alive" | "failed" | "left", number>>;
  readonly healthScore: number;
}

/**
 * Defines the gossip metrics in `registry`, each reading `snapshot()` when scraped.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { type GossipMetricsSource, registerGossipMetrics } from "./gossip_metrics.ts";
 * const registry = new Registry();
 * const zero = { probes: 4, dropped: { bad_crc: 1 } } as unknown as GossipMetricsSource;
 * registerGossipMetrics(registry, () => zero);
 * console.assert(registry.render().includes("shoal_gossip_probes_total 4\n"));
 * ```
 */
export function registerGossipMetrics(
  registry: Registry,
  snapshot: () => GossipMetricsSource,
): void {
  const n = GOSSIP_METRIC_NAMES;
  const plainCounters: ReadonlyArray<readonly [string, string, keyof GossipMetricsSource]> = [
    [n.probes, "Direct probes sent.", "probes"],
    [n.probeFailures, "Probes that got no ack, directly or indirectly.", "probeFailures"],
    [n.indirectProbes, "Indirect probe requests sent.", "indirectProbes"],
    [n.suspicions, "Suspicions this node started about other members.", "suspicionsStarted"],
    [n.refutations, "Suspicions about this node that it refuted.", "refutations"],
    [n.deaths, "Members this node declared dead.", "deathsDeclared"],
    [n.streamsRefused, "TCP streams refused at the concurrent-stream bound.", "streamsRefused"],
  ];
  for (const [name, help, field] of plainCounters) {
    registry.counterFunc({ name, help, collect: () => Number(snapshot()[field]) });
  }
  registry.counterFunc({
    name: n.packets,
    help: "UDP packets by direction.",
    labelNames: ["direction"],
    collect: () => {
      const s = snapshot();
      return [[{ direction: "in" }, s.packetsIn], [{ direction: "out" }, s.packetsOut]];
    },
  });
  registry.counterFunc({
    name: n.bytes,
    help: "UDP payload bytes by direction.",
    labelNames: ["direction"],
    collect: () => {
      const s = snapshot();
      return [[{ direction: "in" }, s.bytesIn], [{ direction: "out" }, s.bytesOut]];
    },
  });
  registry.counterFunc({
    name: n.dropped,
    help: "Packets or compound parts dropped, by reason.",
    labelNames: ["reason"],
    collect: () =>
      Object.entries(snapshot().dropped).map(([reason, v]) => [{ reason }, v] as const),
  });
  registerGossipGauges(registry, snapshot);
}

function registerGossipGauges(registry: Registry, snapshot: () => GossipMetricsSource): void {
  const n = GOSSIP_METRIC_NAMES;
  registry.gaugeFunc({
    name: n.queueDepth,
    help: "Queue depths: broadcasts waiting, pending acks, open suspicions, active streams.",
    labelNames: ["queue"],
    collect: () => {
      const s = snapshot();
      return [
        [{ queue: "broadcasts" }, s.queueBroadcasts],
        [{ queue: "pending_acks" }, s.pendingAcks],
        [{ queue: "suspicions" }, s.suspicions],
        [{ queue: "streams" }, s.activeStreams],
      ];
    },
  });
  registry.gaugeFunc({
    name: n.members,
    help: "Members this node knows of by status (alive, failed, left); sum alive for the size.",
    labelNames: ["status"],
    collect: () => {
      const m = snapshot().membersByStatus;
      return [[{ status: "alive" }, m.alive], [{ status: "failed" }, m.failed], [{
        status: "left",
      }, m.left]];
    },
  });
  registry.gaugeFunc({
    name: n.healthScore,
    help: "Lifeguard local health score (0 is healthy; higher means this node is struggling).",
    collect: () => snapshot().healthScore,
  });
}
