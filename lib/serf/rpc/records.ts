/**
 * Bodies the agent RPC sends (wire spec §9), with the RPC codec's conventions: byte slices in the
 * bin family (WriteExt = true), struct keys sorted as Go emits them.
 *
 * @module
 */

import { Bin, type EncValue } from "../../gossip/wire/msgpack.ts";
import type { SerfEvent } from "../events.ts";
import { type Member, MEMBER_STATUS_NAMES } from "../members.ts";

/** The RPC Member record. */
export function memberRecord(m: Member): EncValue {
  const v = m.vsn;
  return {
    Addr: new Bin(m.addr),
    DelegateCur: v[5] ?? 0,
    DelegateMax: v[4] ?? 0,
    DelegateMin: v[3] ?? 0,
    Name: m.name,
    Port: m.port,
    ProtocolCur: v[2] ?? 0,
    ProtocolMax: v[1] ?? 0,
    ProtocolMin: v[0] ?? 0,
    Status: MEMBER_STATUS_NAMES[m.status],
    Tags: new Map(m.tags),
  };
}

/** The stream record for an event; `queryId` is the per-client ID of a query. */
export function eventRecord(e: SerfEvent, queryId: number): EncValue {
  switch (e.type) {
    case "user":
      return {
        Event: "user",
        LTime: e.lTime,
        Name: e.name,
        Payload: new Bin(e.payload),
        Coalesce: e.coalesce,
      };
    case "query":
      return {
        Event: "query",
        ID: queryId,
        LTime: e.lTime,
        Name: e.name,
        Payload: new Bin(e.payload),
      };
    default:
      return { Event: e.type, Members: e.members.map(memberRecord) };
  }
}

/** Event kinds a stream filter names. */
export type StreamFilter = { readonly kind: string; readonly name?: string };

const MEMBER_KINDS = [
  "member-join",
  "member-leave",
  "member-failed",
  "member-update",
  "member-reap",
];

/** Parses a stream `Type` (`*` or a comma list); `null` when any part is invalid. */
export function parseStreamFilter(spec: string): StreamFilter[] | null {
  const out: StreamFilter[] = [];
  for (const raw of spec.split(",")) {
    const part = raw.trim();
    if (part === "*") out.push({ kind: "*" });
    else if (MEMBER_KINDS.includes(part) || part === "user" || part === "query") {
      out.push({ kind: part });
    } else if (part.startsWith("user:") || part.startsWith("query:")) {
      const at = part.indexOf(":");
      out.push({ kind: part.slice(0, at), name: part.slice(at + 1) });
    } else return null;
  }
  return out;
}

/** True when `e` passes one of `filters`. */
export function streamWants(filters: readonly StreamFilter[], e: SerfEvent): boolean {
  return filters.some((f) => {
    if (f.kind === "*") return true;
    if (f.kind !== e.type) return false;
    return f.name === undefined || ((e.type === "user" || e.type === "query") && e.name === f.name);
  });
}
