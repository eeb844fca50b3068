/**
 * Serf messages (wire spec §7.3, §7.4): `[type byte][msgpack body]`, carried inside memberlist
 * user messages. Keys are written in the sorted order Go emits and with Go's encodings (byte
 * slices in the str family, nil for a nil slice, `Timeout` as non-negative int64 nanoseconds in
 * the smallest unsigned form), so our bytes are identical to serf's.
 *
 * @example
 * ```ts
 * import { decodeSerfMessage, encodeSerfMessage, SerfMessageType } from "./messages.ts";
 * const bytes = encodeSerfMessage({ type: SerfMessageType.Join, lTime: 2, node: "a" });
 * const back = decodeSerfMessage(bytes);
 * console.assert(back.type === SerfMessageType.Join && back.node === "a");
 * ```
 *
 * @module
 */

import {
  asMap,
  boolField,
  bytesField,
  intField,
  stringField,
  u64Field,
  uintField,
} from "../gossip/wire/fields.ts";
import { decode, type MsgValue, Reader, Writer } from "../gossip/wire/msgpack.ts";
import { toLTime } from "./lamport.ts";
import { decodeBody } from "./_decode.ts";
import { type PushPullMessage, readPushPull, writePushPull } from "./push_pull.ts";

export type { PushPullMessage, UserEventsSlot } from "./push_pull.ts";

/** Serf message type bytes; the numbers are the protocol. */
export enum SerfMessageType {
  Leave = 0,
  Join = 1,
  PushPull = 2,
  UserEvent = 3,
  Query = 4,
  QueryResponse = 5,
  ConflictResponse = 6,
  KeyRequest = 7,
  KeyResponse = 8,
  Relay = 9,
}

/** Query flag: the querier wants acks. */
export const QUERY_FLAG_ACK = 1;
/** Query flag: do not re-gossip the query. */
export const QUERY_FLAG_NO_BROADCAST = 2;

/** A join intent. */
export interface JoinMessage {
  type: SerfMessageType.Join;
  lTime: number;
  node: string;
}
/** A leave intent; `prune` erases the member. */
export interface LeaveMessage {
  type: SerfMessageType.Leave;
  lTime: number;
  node: string;
  prune: boolean;
}
/** A user event. `cc` (can coalesce) only matters to local handlers. */
export interface UserEventMessage {
  type: SerfMessageType.UserEvent;
  lTime: number;
  name: string;
  payload: Uint8Array | null;
  cc: boolean;
}
/** A query. `filters` are encoded filters (see `filters.ts`). */
export interface QueryMessage {
  type: SerfMessageType.Query;
  lTime: number;
  id: number;
  addr: Uint8Array;
  port: number;
  sourceNode: string;
  filters: Uint8Array[];
  flags: number;
  relayFactor: number;
  timeoutNs: number;
  name: string;
  payload: Uint8Array | null;
}
/** An ack (flags 1) or a response (flags 0) to a query. */
export interface QueryResponseMessage {
  type: SerfMessageType.QueryResponse;
  lTime: number;
  id: number;
  from: string;
  flags: number;
  payload: Uint8Array | null;
}
/** The push/pull user state. */
export interface PushPullSerfMessage extends PushPullMessage {
  type: SerfMessageType.PushPull;
}

/** Every serf message that has its own broadcast or delivery path. */
export type SerfMessage =
  | JoinMessage
  | LeaveMessage
  | UserEventMessage
  | QueryMessage
  | QueryResponseMessage
  | PushPullSerfMessage;

/** Where a relay node forwards the inner message. */
export interface RelayHeader {
  destIp: Uint8Array;
  destPort: number;
  destZone: string;
  destName: string;
}

function nullableBytes(w: Writer, b: Uint8Array | null): void {
  if (b === null) w.nil();
  else w.str(b);
}

function writeBody(w: Writer, m: SerfMessage): void {
  switch (m.type) {
    case SerfMessageType.Join:
      w.mapHeader(2);
      w.str("LTime"), w.int(m.lTime), w.str("Node"), w.str(m.node);
      return;
    case SerfMessageType.Leave:
      w.mapHeader(3);
      w.str("LTime"), w.int(m.lTime), w.str("Node"), w.str(m.node);
      w.str("Prune"), w.bool(m.prune);
      return;
    case SerfMessageType.UserEvent:
      w.mapHeader(4);
      w.str("CC"), w.bool(m.cc), w.str("LTime"), w.int(m.lTime);
      w.str("Name"), w.str(m.name), w.str("Payload"), nullableBytes(w, m.payload);
      return;
    case SerfMessageType.Query:
      return writeQuery(w, m);
    case SerfMessageType.QueryResponse:
      w.mapHeader(5);
      w.str("Flags"), w.int(m.flags), w.str("From"), w.str(m.from);
      w.str("ID"), w.int(m.id), w.str("LTime"), w.int(m.lTime);
      w.str("Payload"), nullableBytes(w, m.payload);
      return;
    case SerfMessageType.PushPull:
      return writePushPull(w, m);
  }
}

function writeQuery(w: Writer, m: QueryMessage): void {
  w.mapHeader(11);
  w.str("Addr"), w.str(m.addr), w.str("Filters");
  if (m.filters.length === 0) w.nil();
  else {
    w.arrayHeader(m.filters.length);
    for (const f of m.filters) w.str(f);
  }
  w.str("Flags"), w.int(m.flags), w.str("ID"), w.int(m.id);
  w.str("LTime"), w.int(m.lTime), w.str("Name"), w.str(m.name);
  w.str("Payload"), nullableBytes(w, m.payload), w.str("Port"), w.int(m.port);
  w.str("RelayFactor"), w.int(m.relayFactor), w.str("SourceNode"), w.str(m.sourceNode);
  w.str("Timeout"), w.int(m.timeoutNs);
}

/** Encodes `[type][msgpack body]`. */
export function encodeSerfMessage(m: SerfMessage): Uint8Array {
  const w = new Writer();
  w.u8(m.type);
  writeBody(w, m);
  return w.bytes();
}

function payloadField(m: Map<string, MsgValue>): Uint8Array | null {
  const v = m.get("Payload");
  return v === undefined || v === null ? null : bytesField(m, "Payload");
}

function lTimeField(m: Map<string, MsgValue>): number {
  return toLTime(u64Field(m, "LTime"));
}

function filtersField(m: Map<string, MsgValue>): Uint8Array[] {
  const v = m.get("Filters");
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TypeError("Field Filters is not an array");
  return v.map((_, i) => bytesField(new Map([["f", v[i]!]]), "f"));
}

function readQuery(m: Map<string, MsgValue>): QueryMessage {
  return {
    type: SerfMessageType.Query,
    lTime: lTimeField(m),
    id: uintField(m, "ID"),
    addr: bytesField(m, "Addr"),
    port: uintField(m, "Port", 0xffff),
    sourceNode: stringField(m, "SourceNode"),
    filters: filtersField(m),
    flags: uintField(m, "Flags"),
    relayFactor: uintField(m, "RelayFactor", 0xff),
    timeoutNs: Math.max(0, intField(m, "Timeout")),
    name: stringField(m, "Name"),
    payload: payloadField(m),
  };
}

function readBody(type: number, v: MsgValue): SerfMessage {
  if (type === SerfMessageType.PushPull) return readPushPull(v);
  const m = asMap(v, `serf message type ${type}`);
  switch (type) {
    case SerfMessageType.Join:
      return { type, lTime: lTimeField(m), node: stringField(m, "Node") };
    case SerfMessageType.Leave:
      return {
        type,
        lTime: lTimeField(m),
        node: stringField(m, "Node"),
        prune: boolField(m, "Prune"),
      };
    case SerfMessageType.UserEvent:
      return {
        type,
        lTime: lTimeField(m),
        name: stringField(m, "Name"),
        payload: payloadField(m),
        cc: boolField(m, "CC"),
      };
    case SerfMessageType.Query:
      return readQuery(m);
    case SerfMessageType.QueryResponse:
      return {
        type,
        lTime: lTimeField(m),
        id: uintField(m, "ID"),
        from: stringField(m, "From"),
        flags: uintField(m, "Flags"),
        payload: payloadField(m),
      };
  }
  throw new TypeError(`Unknown serf message type ${type}`);
}

/**
 * Decodes `[type][msgpack body]` for types 0 to 5. Throws `SerfDecodeError` for anything else
 * (relays have their own {@linkcode decodeRelay}).
 */
export function decodeSerfMessage(bytes: Uint8Array): SerfMessage {
  return decodeBody(bytes, "serf message", () => {
    if (bytes.length === 0) throw new TypeError("Empty serf message");
    return readBody(bytes[0]!, decode(bytes.subarray(1)));
  });
}

/** Encodes `[0x09][relay header][inner]`, where `inner` is a complete serf message. */
export function encodeRelay(h: RelayHeader, inner: Uint8Array): Uint8Array {
  const w = new Writer();
  w.u8(SerfMessageType.Relay);
  w.mapHeader(2);
  w.str("DestAddr"), w.mapHeader(3);
  w.str("IP"), w.str(h.destIp), w.str("Port"), w.int(h.destPort), w.str("Zone"), w.str(h.destZone);
  w.str("DestName"), w.str(h.destName);
  w.raw(inner);
  return w.bytes();
}

/** Decodes a relay message into its header and the inner serf message bytes. */
export function decodeRelay(bytes: Uint8Array): { header: RelayHeader; inner: Uint8Array } {
  return decodeBody(bytes, "relay message", () => {
    if (bytes[0] !== SerfMessageType.Relay) throw new TypeError("Not a relay message");
    const r = new Reader(bytes, 1);
    const m = asMap(r.read(), "relay header");
    const dest = asMap(m.get("DestAddr") ?? new Map(), "relay DestAddr");
    const header: RelayHeader = {
      destIp: bytesField(dest, "IP"),
      destPort: uintField(dest, "Port", 0xffff),
      destZone: stringField(dest, "Zone"),
      destName: stringField(m, "DestName"),
    };
    return { header, inner: bytes.slice(r.offset) };
  });
}
