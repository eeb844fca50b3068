/**
 * User events (wire spec §7.8): sending with serf's size limits, and receiving with the Lamport
 * witness, minimum time, ring deduplication and delivery.
 *
 * @module
 */

import { admitLTime, type ClockGuardHost } from "./clock_guard.ts";
import type { LamportClock } from "./lamport.ts";
import type { Logger } from "../log/logger.ts";
import { USER_EVENT_SIZE_HARD_LIMIT_BYTES } from "./config.ts";
import { SizeLimitError } from "./errors.ts";
import type { UserEvent } from "./events.ts";
import { encodeSerfMessage, SerfMessageType, type UserEventMessage } from "./messages.ts";
import type { UserEventRing } from "./rings.ts";

/**
 * What user-event handling sees of the serf instance: the event clock and ring, the configured
 * size limit, the counters and log (for the clock guard too), the event queue and delivery.
 */
export interface UserEventContext extends ClockGuardHost {
  /** The configured limit of name + payload bytes (capped by the hard limit here). */
  readonly sizeLimitBytes: number;
  /** Where refusals (debug) and deliveries (info) are logged. */
  readonly log: Logger;
  /** The user event Lamport clock. */
  readonly clock: LamportClock;
  /** The deduplication ring of user events. */
  readonly ring: UserEventRing;
  /** A new event: to the snapshot's event clock, then to the listeners. */
  deliver(e: UserEvent): void;
  /** Queues the encoded event for gossip. */
  queue(raw: Uint8Array): void;
}

/** Sends a user event: checks limits, stamps it, handles it locally and queues it. */
export function userEventOut(
  s: UserEventContext,
  name: string,
  payload: Uint8Array,
  coalesce: boolean,
): void {
  const limit = Math.min(s.sizeLimitBytes, USER_EVENT_SIZE_HARD_LIMIT_BYTES);
  const rawSize = new TextEncoder().encode(name).length + payload.length;
  if (rawSize > limit) throw new SizeLimitError("user event", rawSize, limit);
  const msg: UserEventMessage = {
    type: SerfMessageType.UserEvent,
    lTime: s.clock.time(),
    name,
    payload,
    cc: coalesce,
  };
  const raw = encodeSerfMessage(msg);
  if (raw.length > limit) throw new SizeLimitError("encoded user event", raw.length, limit);
  s.clock.increment();
  userEventIn(s, msg);
  s.queue(raw);
}

/** Handles a user event; returns whether it is new (deliver and re-broadcast). */
export function userEventIn(s: UserEventContext, m: UserEventMessage): boolean {
  if (!admitLTime(s, s.clock, m.lTime, "event")) return false;
  // serf checks its limit only when sending; checked on receive too, so a forged event cannot
  // be stored, relayed or pushed to joining nodes (issue 13)
  const limit = Math.min(s.sizeLimitBytes, USER_EVENT_SIZE_HARD_LIMIT_BYTES);
  const size = new TextEncoder().encode(m.name).length + (m.payload?.length ?? 0);
  if (size > limit) {
    s.counters.oversizeRefused++;
    s.log.debug("serf.user_event.oversize", { name: m.name, lTime: m.lTime, bytes: size });
    return false;
  }
  s.clock.witness(m.lTime);
  const payload = m.payload ?? new Uint8Array(0);
  const admission = s.ring.admit(m.lTime, { name: m.name, payload }, s.clock.time());
  switch (admission) {
    case "duplicate":
      s.counters.userEventsDuplicate++;
      return false;
    case "stale":
      s.counters.userEventsStale++;
      return false;
    case "full":
      s.counters.userEventsSlotFull++;
      return false;
  }
  s.counters.userEventsDelivered++;
  s.log.info("serf.user_event.received", { name: m.name, lTime: m.lTime });
  s.deliver({ type: "user", lTime: m.lTime, name: m.name, payload, coalesce: m.cc });
  return true;
}
