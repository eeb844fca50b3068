/**
 * What the sans-IO SWIM core asks its shell to do, the counters it keeps, and the context every
 * part of it (membership, prober, disseminator, admission) shares.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { GossipConfig } from "./config.ts";
import type { TimerDirective } from "./loops.ts";
import type { Address, NodeInfo } from "./types.ts";

/** Send one UDP packet made of `parts` (encoded messages; one part goes bare, more as compound). */
export interface PacketEffect {
  readonly kind: "packet";
  readonly to: Address;
  readonly parts: Uint8Array[];
  /** Add the CRC layer (the recipient is a known node with pmax ≥ 5, §1.5). */
  readonly crc: boolean;
}

/** Run a periodic (non-join) push/pull with `to` and merge the reply with `mergeRemote`. */
export interface PushPullEffect {
  readonly kind: "push-pull";
  readonly to: Address;
}

/**
 * The UDP probe of `node` failed: try a TCP ping (§5.5) and report with `onTcpPingResult(seqNo,
 * ok)` before `deadlineMs`.
 */
export interface TcpPingEffect {
  readonly kind: "tcp-ping";
  readonly to: Address;
  readonly seqNo: number;
  readonly node: string;
  readonly deadlineMs: number;
}

/** A membership change for the event delegate. */
export interface MemberEffect {
  readonly kind: "member-join" | "member-leave" | "member-update";
  readonly node: NodeInfo;
}

/** An alive message claimed a known name at another address (§6.9). */
export interface ConflictEffect {
  readonly kind: "conflict";
  readonly existing: NodeInfo;
  readonly other: NodeInfo;
}

/**
 * Apply `directive` to the core's timers now, outside a loop's tick: a one-shot timer is set or
 * cancelled (an ack deadline, a probe's indirect stage, a suspicion), or an idle gossip loop
 * resumes because a broadcast was queued. The shell sets the timer before it takes the next
 * effect, so timers keep the order the core asked for them in.
 */
export interface TimerEffect {
  readonly kind: "timer";
  readonly directive: TimerDirective;
}

/** Everything the core can ask for. */
export type GossipEffect =
  | PacketEffect
  | PushPullEffect
  | TcpPingEffect
  | MemberEffect
  | ConflictEffect
  | TimerEffect;

/** Receives effects as the core produces them; the shell executes them. */
export type EffectSink = (effect: GossipEffect) => void;

/**
 * What the core hands each of its parts: our name, the settings, the injected clock (to read
 * only: timers are asked for with {@linkcode TimerEffect}s), the effect sink, the logger and the
 * shared counters. A part's own deps extend it (or pick from it).
 */
export interface CoreContext {
  readonly name: string;
  readonly config: GossipConfig;
  readonly clock: Pick<Clock, "nowMs">;
  readonly emit: EffectSink;
  readonly logger: Logger;
  readonly counters: CoreCounters;
}

/** Counters the core keeps for metrics. All only ever increase. */
export interface CoreCounters {
  probes: number;
  probeFailures: number;
  indirectProbes: number;
  tcpPings: number;
  suspicionsStarted: number;
  deathsDeclared: number;
  refutations: number;
  conflicts: number;
  pendingAcksRefused: number;
  nodeTableFull: number;
  /** New names refused because their source host used up its admission budget. */
  nodesRefusedFromSource: number;
  /** Alives refused because their versions cannot share a table with ours. */
  versionsRefused: number;
  /** Alives refused because their address is neither IPv4 nor IPv6. */
  addressesRefused: number;
  messagesIgnored: number;
}

/** Fresh zeroed counters. */
export function newCoreCounters(): CoreCounters {
  return {
    probes: 0,
    probeFailures: 0,
    indirectProbes: 0,
    tcpPings: 0,
    suspicionsStarted: 0,
    deathsDeclared: 0,
    refutations: 0,
    conflicts: 0,
    pendingAcksRefused: 0,
    nodeTableFull: 0,
    nodesRefusedFromSource: 0,
    versionsRefused: 0,
    addressesRefused: 0,
    messagesIgnored: 0,
  };
}
