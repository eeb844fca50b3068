/**
 * User events (wire spec §7.8): sending with serf's size limits, and receiving with the Lamport
 * witness, minimum time, ring deduplication and delivery.
 *
 * @module
 */

import { admitLTime } from "./clock_guard.ts";
import type { LamportClock } from "./lamport.ts";
import type { Logger } from "../log/logger.ts";
import { USER_EVENT_SIZE_HARD_LIMIT_BYTES } from "./config.ts";
import type { SerfCounters } from "./counters.ts";
import { SizeLimitError } from "./errors.ts";
import type { SerfEvent } from "./events.ts";
import { encodeSerfMessage, SerfMessageType, type UserEventMessage } from "./messages.ts";
import type { UserEventRing } from "./rings.ts";

/** What user-event handling needs from the serf instance. */
export interface UserEventHost {
  readonly cfg: { readonly userEventSizeLimitBytes: number };
  readonly eventClock: LamportClock;
  readonly eventRing: UserEventRing;
  readonly counters: SerfCounters;
  readonly deps: { readonly log: Logger };
  readonly opts: { readonly snapshot?: { userEventClock(lTime: number): void } };
  emit(e: SerfEvent): void;
  queueEvent(raw: Uint8Array): void;
}

/** Sends a user event: checks limits, stamps it, handles it locally and queues it. */
export function userEventOut(
  s: UserEventHost,
  name: string,
  payload: Uint8Array,
  coalesce: boolean,
): void {
  const limit = Math.min(s.cfg.userEventSizeLimitBytes, USER_EVENT_SIZE_HARD_LIMIT_BYTES);
  const rawSize = new TextEncoder().encode(name).length + payload.length;
  if (rawSize > limit) throw new SizeLimitError("user event", rawSize, limit);
  const msg: UserEventMessage = {
    type: SerfMessageType.UserEvent,
    lTime: s.eventClock.time(),
    name,
    payload,
    cc: coalesce,
  };
  const raw = encodeSerfMessage(msg);
  if (raw.length > limit) throw new SizeLimitError("encoded user event", raw.length, limit);
  s.eventClock.increment();
  userEventIn(s, msg);
  s.queueEvent(raw);
}

/** Handles a user event; returns whether it is new (deliver and re-broadcast). */
export function userEventIn(s: UserEventHost, m: UserEventMessage): boolean {
  if (!admitLTime({ counters: s.counters, log: s.deps.log }, s.eventClock, m.lTime, "event")) {
    return false;
  }
  // serf checks its limit only when sending; checked on receive too, so a forged event cannot
  // be stored, relayed or pushed to joining nodes (issue 13)
  const limit = Math.min(s.cfg.userEventSizeLimitBytes, USER_EVENT_SIZE_HARD_LIMIT_BYTES);
  const size = new TextEncoder().encode(m.name).length + (m.payload?.length ?? 0);
  if (size > limit) {
    s.counters.oversizeRefused++;
    s.deps.log.debug("serf.user_event.oversize", { name: m.name, lTime: m.lTime, bytes: size });
    return false;
  }
  s.eventClock.witness(m.lTime);
  const payload = m.payload ?? new Uint8Array(0);
  const admission = s.eventRing.admit(m.lTime, { name: m.name, payload }, s.eventClock.time());
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
  s.deps.log.info("serf.user_event.received", { name: m.name, lTime: m.lTime });
  s.opts.snapshot?.userEventClock(m.lTime);
  s.emit({ type: "user", lTime: m.lTime, name: m.name, payload, coalesce: m.cc });
  return true;
}
