/**
 * What serf does with bytes memberlist hands it: user messages (intents, events, queries,
 * responses, relays) and push/pull user state. Every decode failure is counted, logged at debug
 * and dropped.
 *
 * @module
 */

import type { Address } from "../gossip/types.ts";
import { ipToString } from "./addr.ts";
import { admitLTime, type ClockGuardHost } from "./clock_guard.ts";
import { SerfDecodeError } from "./errors.ts";
import type { LamportClock } from "./lamport.ts";
import type { SerfLifecycle } from "./lifecycle.ts";
import { MemberStatus, type MemberTable } from "./members.ts";
import {
  decodeRelay,
  decodeSerfMessage,
  encodeSerfMessage,
  type PushPullSerfMessage,
  type SerfMessage,
  SerfMessageType,
  type UserEventsSlot,
} from "./messages.ts";
import type { QueryEngine } from "./queries.ts";
import { type UserEventContext, userEventIn } from "./user_events.ts";

/**
 * What inbound handling sees of the serf instance: the member and query clocks, the user-event
 * context (its clock and ring go into our push/pull state), the parts of the member table, query
 * engine and lifecycle that take messages, the intent and query queues, and a way to send a packet.
 */
export interface InboundContext extends ClockGuardHost {
  /** Query responses larger than this are refused. */
  readonly responseLimitBytes: number;
  /** The member (intent) Lamport clock. */
  readonly memberClock: LamportClock;
  /** The query Lamport clock. */
  readonly queryClock: LamportClock;
  /** User events: receiving, and the clock and ring our state carries. */
  readonly userEvents: UserEventContext;
  /** Join intents and the status times and left members our state carries. */
  readonly table: Pick<MemberTable, "joinIntent" | "statusLTimes" | "withStatus">;
  /** Queries and query responses. */
  readonly queries: Pick<QueryEngine, "receive" | "onResponse">;
  /** Leave intents and push/pull merging. */
  readonly lifecycle: Pick<SerfLifecycle, "leaveIntent" | "mergePushPull">;
  /** Queues an intent for gossip. */
  queueIntent(raw: Uint8Array): void;
  /** Queues a query for gossip. */
  queueQuery(raw: Uint8Array): void;
  /** Sends a user packet through memberlist (throws before serf is attached). */
  sendUserPacket(to: Address, raw: Uint8Array): void;
}

function decodeOrCount(s: ClockGuardHost, bytes: Uint8Array, what: string): SerfMessage | null {
  try {
    return decodeSerfMessage(bytes);
  } catch (e) {
    if (!(e instanceof SerfDecodeError)) throw e;
    s.counters.decodeErrors++;
    s.log.debug(`serf.${what}.invalid`, { error: e.message });
    return null;
  }
}

/** A user message from `from`: handled, and re-broadcast when new. */
export function handleInbound(s: InboundContext, payload: Uint8Array, from: Address): void {
  if (payload[0] === SerfMessageType.Relay) return relay(s, payload);
  const m = decodeOrCount(s, payload, "message");
  if (m === null) return;
  switch (m.type) {
    case SerfMessageType.Join:
      if (!admitLTime(s, s.memberClock, m.lTime, "join")) return;
      s.memberClock.witness(m.lTime);
      if (s.table.joinIntent(m.node, m.lTime)) {
        s.counters.intentsAccepted++;
        s.queueIntent(payload);
      }
      return;
    case SerfMessageType.Leave:
      if (s.lifecycle.leaveIntent(m)) {
        s.counters.intentsAccepted++;
        s.queueIntent(payload);
      }
      return;
    case SerfMessageType.UserEvent:
      if (userEventIn(s.userEvents, m)) s.userEvents.queue(payload);
      return;
    case SerfMessageType.Query:
      if (s.queries.receive(m, payload)) s.queueQuery(payload);
      return;
    case SerfMessageType.QueryResponse:
      if (payload.length > s.responseLimitBytes) {
        return void s.counters.oversizeRefused++;
      }
      return s.queries.onResponse(m, from);
    default:
      s.counters.unknownMessages++;
      s.log.debug("serf.message.unexpected", { type: m.type, from: from.host });
  }
}

/** Forwards the inner query response of a relay message to its destination. */
function relay(s: InboundContext, payload: Uint8Array): void {
  try {
    const { header, inner } = decodeRelay(payload);
    if (inner[0] !== SerfMessageType.QueryResponse) {
      s.counters.relaysRefused++;
      return;
    }
    const host = ipToString(header.destIp);
    s.counters.relaysForwarded++;
    s.sendUserPacket({ host, port: header.destPort }, inner);
  } catch (e) {
    if (!(e instanceof SerfDecodeError)) throw e;
    s.counters.decodeErrors++;
  }
}

/**
 * Event bytes (names and payloads) one push/pull carries. The ring can hold 512 slots × 64
 * events × 512 bytes (16 MiB), more than a peer accepts (USER_STATE_MAX_BYTES, 8 MiB): the
 * newest slots up to 2 MiB are sent, which leaves 6 MiB for the status times of 65 536 members
 * with names up to ~90 bytes, so our state stays within the peer's bound by construction.
 */
export const PUSH_PULL_EVENTS_BYTES_MAX = 2 * 1024 * 1024;

/** The newest slots whose events fit in `budget` bytes (names + payloads + 16 per event). */
export function newestSlots(
  slots: readonly (UserEventsSlot | null)[],
  budget: number,
): UserEventsSlot[] {
  const out: UserEventsSlot[] = [];
  const byNewest = slots.filter((x) => x !== null).sort((a, b) => b.lTime - a.lTime);
  for (const slot of byNewest) {
    const size = slot.events.reduce((n, e) => n + e.name.length * 3 + e.payload.length + 16, 0);
    if (size > budget) break;
    budget -= size;
    out.push(slot);
  }
  return out;
}

/** `[0x02]` + messagePushPull with our clocks, status times, left members and event ring. */
export function encodeLocalState(
  s: Pick<InboundContext, "memberClock" | "queryClock" | "table" | "userEvents">,
): Uint8Array {
  const m: PushPullSerfMessage = {
    type: SerfMessageType.PushPull,
    lTime: s.memberClock.time(),
    statusLTimes: s.table.statusLTimes(),
    leftMembers: s.table.withStatus(MemberStatus.Left).map((m) => m.name),
    eventLTime: s.userEvents.clock.time(),
    events: newestSlots(s.userEvents.ring.slots(), PUSH_PULL_EVENTS_BYTES_MAX),
    queryLTime: s.queryClock.time(),
  };
  return encodeSerfMessage(m);
}

/** Decodes and merges a peer's push/pull user state. */
export function mergeRemoteState(s: InboundContext, state: Uint8Array, join: boolean): void {
  const m = decodeOrCount(s, state, "push_pull");
  if (m === null) return;
  if (m.type !== SerfMessageType.PushPull) {
    s.counters.unknownMessages++;
    return;
  }
  s.lifecycle.mergePushPull(m, join);
}
