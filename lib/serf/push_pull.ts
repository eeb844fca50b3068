/**
 * The serf push/pull user state body (wire spec §7.7): clocks, status times, left members and the
 * whole user-event ring.
 *
 * @module
 */

import { asMap, bytesField, stringField, stringsField, u64Field } from "../gossip/wire/fields.ts";
import type { MsgValue, Writer } from "../gossip/wire/msgpack.ts";
import { toLTime } from "./lamport.ts";

/** One user event as kept in the dedup ring. */
export interface RingEvent {
  name: string;
  payload: Uint8Array;
}

/** One slot of the user-event ring: every event seen at one Lamport time. */
export interface UserEventsSlot {
  lTime: number;
  events: RingEvent[];
}

/** messagePushPull. `events` has `null` for empty slots (Go sends all 512). */
export interface PushPullMessage {
  lTime: number;
  statusLTimes: Map<string, number>;
  leftMembers: string[];
  eventLTime: number;
  events: (UserEventsSlot | null)[];
  queryLTime: number;
}

/** Writes the msgpack body of a push/pull (without the type byte). */
export function writePushPull(w: Writer, m: PushPullMessage): void {
  w.mapHeader(6);
  w.str("EventLTime"), w.int(m.eventLTime), w.str("Events");
  w.arrayHeader(m.events.length);
  for (const slot of m.events) {
    if (slot === null) {
      w.nil();
      continue;
    }
    w.mapHeader(2), w.str("Events"), w.arrayHeader(slot.events.length);
    for (const e of slot.events) {
      w.mapHeader(2), w.str("Name"), w.str(e.name), w.str("Payload"), w.str(e.payload);
    }
    w.str("LTime"), w.int(slot.lTime);
  }
  w.str("LTime"), w.int(m.lTime), w.str("LeftMembers"), w.arrayHeader(m.leftMembers.length);
  for (const n of m.leftMembers) w.str(n);
  w.str("QueryLTime"), w.int(m.queryLTime), w.str("StatusLTimes"), w.mapHeader(m.statusLTimes.size);
  for (const [name, t] of m.statusLTimes) (w.str(name), w.int(t));
}

function readSlot(v: MsgValue): UserEventsSlot | null {
  if (v === null) return null;
  const m = asMap(v, "push/pull event slot");
  const raw = m.get("Events");
  const list = raw === undefined || raw === null ? [] : raw;
  if (!Array.isArray(list)) throw new TypeError("Push/pull slot Events is not an array");
  const events = list.map((e) => {
    const em = asMap(e, "push/pull user event");
    return { name: stringField(em, "Name"), payload: bytesField(em, "Payload") };
  });
  return { lTime: toLTime(u64Field(m, "LTime")), events };
}

/** Reads a decoded push/pull body. */
export function readPushPull(v: MsgValue): PushPullMessage & { type: 2 } {
  const m = asMap(v, "serf push/pull");
  const rawEvents = m.get("Events");
  const events = rawEvents === undefined || rawEvents === null ? [] : rawEvents;
  if (!Array.isArray(events)) throw new TypeError("Push/pull Events is not an array");
  const statusLTimes = new Map<string, number>();
  const st = m.get("StatusLTimes");
  if (st !== undefined && st !== null) {
    for (const [name, t] of asMap(st, "push/pull StatusLTimes")) {
      if (typeof t !== "number" && typeof t !== "bigint") {
        throw new TypeError(`StatusLTimes.${name} is not an integer`);
      }
      statusLTimes.set(name, toLTime(t));
    }
  }
  return {
    type: 2,
    lTime: toLTime(u64Field(m, "LTime")),
    eventLTime: toLTime(u64Field(m, "EventLTime")),
    queryLTime: toLTime(u64Field(m, "QueryLTime")),
    leftMembers: stringsField(m, "LeftMembers"),
    statusLTimes,
    events: events.map(readSlot),
  };
}
