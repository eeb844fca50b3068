/**
 * Serf configuration with serf's names (units last) and shoal's defaults (wire spec §7.12).
 *
 * shoal's members are short-lived ECS tasks with unique names that never come back after they
 * fail or leave, so the reconnect and tombstone timeouts are 10 minutes instead of serf's 24
 * hours: long enough to ride out a partition or a slow restart of the same task, short enough
 * that a busy service does not carry thousands of dead entries in every push/pull.
 *
 * @module
 */

/** Every tunable of the serf layer. */
export interface SerfConfig {
  /** Interval of the reaper (failed/left members, stale intents). @default 15 000 */
  readonly reapIntervalMs: number;
  /** Interval of reconnect attempts to failed members. @default 30 000 */
  readonly reconnectIntervalMs: number;
  /** A failed member is erased after this long. @default 600 000 (serf: 24 h) */
  readonly reconnectTimeoutMs: number;
  /** A left member is erased after this long. @default 600 000 (serf: 24 h) */
  readonly tombstoneTimeoutMs: number;
  /** Join/leave intents for unknown names are kept this long. @default 300 000 */
  readonly recentIntentTimeoutMs: number;
  /** Recent intents kept at most (they come from the network). @default 4096 */
  readonly recentIntentsMax: number;
  /** Wait for the leave intent to be gossiped, and for memberlist's leave. @default 5000 */
  readonly broadcastTimeoutMs: number;
  /** Pause between memberlist's leave and the final `left` state. @default 1000 */
  readonly leavePropagateDelayMs: number;
  /** Gossip interval of the memberlist below, for the default query timeout. @default 200 */
  readonly gossipIntervalMs: number;
  /** Default query timeout = gossip interval × mult × ceil(log10(n + 1)). @default 16 */
  readonly queryTimeoutMult: number;
  /** Retransmit multiplier of serf's broadcast queues. @default 4 */
  readonly retransmitMult: number;
  /** Encoded query limit, type byte included. @default 1024 */
  readonly querySizeLimitBytes: number;
  /** Encoded query response limit, type byte included. @default 1024 */
  readonly queryResponseSizeLimitBytes: number;
  /** Name + payload limit, and encoded limit, of a user event (agent default). @default 512 */
  readonly userEventSizeLimitBytes: number;
  /** Messages kept per broadcast queue; the most-sent are pruned first. @default 4096 */
  readonly queueDepthMax: number;
  /** Queries we originated that are still collecting. @default 256 */
  readonly pendingQueriesMax: number;
  /** Distinct user events remembered per Lamport time slot. @default 64 */
  readonly slotEntriesMax: number;
  /**
   * Query IDs remembered by the query ring in all (serf keeps every one). Members that saw the
   * same last query send theirs at one Lamport time, so this is the most queries of one moment,
   * e.g. `depart`s of a service scaling in, that are told apart from their gossiped copies; more
   * are refused and counted (`queriesRingFull`). About 50 bytes each. @default 16384
   */
  readonly queryIdsMax: number;
  /** Run the Vivaldi client and put our coordinate on acks. @default true */
  readonly enableCoordinates: boolean;
  /** Run `_serf_conflict` when another node claims our name. @default true */
  readonly enableNameConflictResolution: boolean;
  /** Protocol versions we report for ourselves: pmin, pmax, pcur, dmin, dmax, dcur. */
  readonly vsn: readonly number[];
}

/** The 512-slot user event and query rings (serf EventBuffer, QueryBuffer). */
export const RING_SLOTS = 512;
/** serf's library cap on user events, whatever the configured limit. */
export const USER_EVENT_SIZE_HARD_LIMIT_BYTES = 9 * 1024;

/** shoal's defaults; see the module documentation for the timeouts. */
export const DEFAULT_SERF_CONFIG: SerfConfig = {
  reapIntervalMs: 15_000,
  reconnectIntervalMs: 30_000,
  reconnectTimeoutMs: 600_000,
  tombstoneTimeoutMs: 600_000,
  recentIntentTimeoutMs: 300_000,
  recentIntentsMax: 4096,
  broadcastTimeoutMs: 5000,
  leavePropagateDelayMs: 1000,
  gossipIntervalMs: 200,
  queryTimeoutMult: 16,
  retransmitMult: 4,
  querySizeLimitBytes: 1024,
  queryResponseSizeLimitBytes: 1024,
  userEventSizeLimitBytes: 512,
  queueDepthMax: 4096,
  pendingQueriesMax: 256,
  slotEntriesMax: 64,
  queryIdsMax: 16_384,
  enableCoordinates: true,
  enableNameConflictResolution: true,
  vsn: [1, 5, 2, 2, 5, 5],
};

/** serf's default query timeout for `n` active members. */
export function defaultQueryTimeoutMs(cfg: SerfConfig, n: number): number {
  return cfg.gossipIntervalMs * cfg.queryTimeoutMult * Math.max(1, Math.ceil(Math.log10(n + 1)));
}
