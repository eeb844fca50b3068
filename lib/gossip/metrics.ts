/**
 * Counters the gossip shell exposes for metrics: traffic, drops by reason, streams, and the core's
 * counters and queue depths.
 *
 * @module
 */

import type { CoreCounters } from "./effects.ts";
import type { Member } from "./member_table.ts";
import type { SwimCore } from "./swim_core.ts";
import { NodeState } from "./wire/messages.ts";

/** Traffic and stream counters kept by the shell. All only ever increase. */
export interface ShellCounters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Packets (or single compound parts) dropped, by decode reason. */
  dropped: Record<string, number>;
  streamsIn: number;
  streamsOut: number;
  /** Incoming streams closed at once because `streamsMax` were already open. */
  streamsRefused: number;
  /** Stream exchanges that failed (dial, timeout, malformed, version mismatch). */
  streamErrors: number;
  pushPulls: number;
  pushPullFailures: number;
}

/** A point-in-time view of everything countable about one gossip node. */
export interface GossipMetrics extends ShellCounters, CoreCounters {
  readonly queueBroadcasts: number;
  readonly pendingAcks: number;
  readonly suspicions: number;
  readonly nodes: number;
  /** Members by status: alive (suspects included, as serf counts them), failed, left. */
  readonly membersByStatus: Readonly<Record<"alive" | "failed" | "left", number>>;
  readonly activeStreams: number;
  readonly healthScore: number;
}

/** Fresh zeroed shell counters. */
export function newShellCounters(): ShellCounters {
  return {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    dropped: {},
    streamsIn: 0,
    streamsOut: 0,
    streamsRefused: 0,
    streamErrors: 0,
    pushPulls: 0,
    pushPullFailures: 0,
  };
}

/** Adds one to `dropped[reason]`. */
export function countDrop(c: ShellCounters, reason: string): void {
  c.dropped[reason] = (c.dropped[reason] ?? 0) + 1;
}

/** A snapshot of everything countable: the shell's counters, the core's, and its queue depths. */
export function gossipMetrics(
  shell: ShellCounters,
  core: SwimCore,
  activeStreams: number,
): GossipMetrics {
  const q = core.queueDepths();
  return {
    ...shell,
    dropped: { ...shell.dropped },
    ...core.counters,
    queueBroadcasts: q.broadcasts,
    pendingAcks: q.pendingAcks,
    suspicions: q.suspicions,
    nodes: q.nodes,
    membersByStatus: membersByStatus(core.membership.table.all()),
    activeStreams,
    healthScore: core.membership.awareness.score,
  };
}

/** Members by status: suspects count as alive (serf's view), dead as failed. */
export function membersByStatus(
  members: readonly Member[],
): { alive: number; failed: number; left: number } {
  const counts = { alive: 0, failed: 0, left: 0 };
  for (const m of members) {
    if (m.state === NodeState.Left) counts.left++;
    else if (m.state === NodeState.Dead) counts.failed++;
    else counts.alive++;
  }
  return counts;
}
