/**
 * Counters of the serf layer: what arrived, what was refused and why. Every drop of network
 * input is counted here (STYLE: bound everything, count what is dropped).
 *
 * @module
 */

/** Monotonic counters; read them for stats and tests. */
export interface SerfCounters {
  /** Serf messages that failed to decode. */
  decodeErrors: number;
  /** Messages of a type we do not accept on this path. */
  unknownMessages: number;
  /** Remote Lamport times refused as too far ahead (never witnessed; see `clock_guard.ts`). */
  lTimesRefused: number;
  /** Node metadata that did not decode as tags (the member gets empty tags, as in serf). */
  tagDecodeErrors: number;
  /** User events and queries refused on receive for exceeding serf's size limits. */
  oversizeRefused: number;
  /** Intents accepted (and re-broadcast). */
  intentsAccepted: number;
  /** User events delivered. */
  userEventsDelivered: number;
  /** User events dropped as duplicates. */
  userEventsDuplicate: number;
  /** User events dropped as older than the ring or the minimum time. */
  userEventsStale: number;
  /** User events dropped because their Lamport slot was full. */
  userEventsSlotFull: number;
  /** Queries delivered to the application or handled internally. */
  queriesDelivered: number;
  /** Queries seen again (dropped, not re-broadcast). */
  queriesDuplicate: number;
  /** Queries older than the ring or its minimum time. */
  queriesStale: number;
  /** Queries refused because the ring already holds `queryIdsMax` IDs. */
  queriesRingFull: number;
  /** Queries whose filters did not match us (still re-broadcast). */
  queriesFiltered: number;
  /** Acks and responses that matched no pending query, or came late. */
  responsesUnmatched: number;
  /** Acks and responses dropped as duplicates (relay copies). */
  responsesDuplicate: number;
  /** Relay messages forwarded. */
  relaysForwarded: number;
  /** Relay messages refused (the inner message was not a query response). */
  relaysRefused: number;
  /** Broadcasts pruned from a full queue. */
  broadcastsPruned: number;
  /** Application events dropped because a subscriber's queue was full. */
  eventsDropped: number;
}

/** All counters at zero. */
export function newCounters(): SerfCounters {
  return {
    decodeErrors: 0,
    unknownMessages: 0,
    lTimesRefused: 0,
    tagDecodeErrors: 0,
    oversizeRefused: 0,
    intentsAccepted: 0,
    userEventsDelivered: 0,
    userEventsDuplicate: 0,
    userEventsStale: 0,
    userEventsSlotFull: 0,
    queriesDelivered: 0,
    queriesDuplicate: 0,
    queriesStale: 0,
    queriesRingFull: 0,
    queriesFiltered: 0,
    responsesUnmatched: 0,
    responsesDuplicate: 0,
    relaysForwarded: 0,
    relaysRefused: 0,
    broadcastsPruned: 0,
    eventsDropped: 0,
  };
}
