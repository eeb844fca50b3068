/**
 * Payloads nested inside serf queries and responses (wire spec §7.4): query filters, the
 * `_serf_conflict` member record, and key requests and responses. (The coordinate ack payload is in `coordinate/wire.ts`.)
 *
 * @example
 * ```ts
 * import { decodeFilter, encodeTagFilter } from "./internal_messages.ts";
 * const f = decodeFilter(encodeTagFilter("role", "py.*"));
 * console.assert(f.kind === "tag" && f.expr === "py.*");
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
  stringMapField,
  stringsField,
  uintField,
} from "../gossip/wire/fields.ts";
import { decode, Writer } from "../gossip/wire/msgpack.ts";
import { decodeBody } from "./_decode.ts";
import { SerfMessageType } from "./messages.ts";

/** Filter type bytes. */
export enum FilterType {
  Node = 0,
  Tag = 1,
}

/** A decoded query filter. */
export type QueryFilter =
  | { kind: "node"; names: string[] }
  | { kind: "tag"; tag: string; expr: string };

/** `[0x00]` + msgpack array of node names. */
export function encodeNodeFilter(names: readonly string[]): Uint8Array {
  const w = new Writer();
  w.u8(FilterType.Node), w.arrayHeader(names.length);
  for (const n of names) w.str(n);
  return w.bytes();
}

/** `[0x01]` + msgpack `{Expr, Tag}`. */
export function encodeTagFilter(tag: string, expr: string): Uint8Array {
  const w = new Writer();
  w.u8(FilterType.Tag), w.mapHeader(2), w.str("Expr"), w.str(expr), w.str("Tag"), w.str(tag);
  return w.bytes();
}

/** Decodes one filter; an unknown type or bad body throws `SerfDecodeError`. */
export function decodeFilter(bytes: Uint8Array): QueryFilter {
  return decodeBody(bytes, "query filter", () => {
    const body = decode(bytes.subarray(1));
    if (bytes[0] === FilterType.Node) {
      return { kind: "node", names: stringsField(new Map([["n", body]]), "n") };
    }
    if (bytes[0] === FilterType.Tag) {
      const m = asMap(body, "tag filter");
      return { kind: "tag", tag: stringField(m, "Tag"), expr: stringField(m, "Expr") };
    }
    throw new TypeError(`Unknown filter type ${bytes[0]}`);
  });
}

/** Serf's Member record as sent in a `_serf_conflict` response. */
export interface WireMember {
  name: string;
  addr: Uint8Array;
  port: number;
  tags: ReadonlyMap<string, string>;
  /** Serf status number: none 0, alive 1, leaving 2, left 3, failed 4. */
  status: number;
  /** pmin, pmax, pcur, dmin, dmax, dcur. */
  vsn: readonly number[];
}

/** `[0x06]` + msgpack Member, or nil when `m` is null. */
export function encodeConflictResponse(m: WireMember | null): Uint8Array {
  const w = new Writer();
  w.u8(SerfMessageType.ConflictResponse);
  if (m === null) return (w.nil(), w.bytes());
  const v = m.vsn;
  w.mapHeader(11);
  w.str("Addr"), w.str(m.addr), w.str("DelegateCur"), w.int(v[5] ?? 0);
  w.str("DelegateMax"), w.int(v[4] ?? 0), w.str("DelegateMin"), w.int(v[3] ?? 0);
  w.str("Name"), w.str(m.name), w.str("Port"), w.int(m.port);
  w.str("ProtocolCur"), w.int(v[2] ?? 0), w.str("ProtocolMax"), w.int(v[1] ?? 0);
  w.str("ProtocolMin"), w.int(v[0] ?? 0), w.str("Status"), w.int(m.status);
  w.str("Tags"), w.mapHeader(m.tags.size);
  for (const [k, val] of m.tags) (w.str(k), w.str(val));
  return w.bytes();
}

/** Decodes a conflict response payload; `null` when the responder did not know the node. */
export function decodeConflictResponse(bytes: Uint8Array): WireMember | null {
  return decodeBody(bytes, "conflict response", () => {
    if (bytes[0] !== SerfMessageType.ConflictResponse) {
      throw new TypeError("Not a conflict response");
    }
    const v = decode(bytes.subarray(1));
    if (v === null) return null;
    const m = asMap(v, "conflict member");
    const u8 = (k: string) => uintField(m, k, 0xff);
    return {
      name: stringField(m, "Name"),
      addr: bytesField(m, "Addr"),
      port: uintField(m, "Port", 0xffff),
      tags: stringMapField(m, "Tags"),
      status: intField(m, "Status"),
      vsn: [
        "ProtocolMin",
        "ProtocolMax",
        "ProtocolCur",
        "DelegateMin",
        "DelegateMax",
        "DelegateCur",
      ]
        .map(u8),
    };
  });
}

/** `[0x07]` + `{Key}`; `key` is raw key bytes, empty for list-keys. */
export function encodeKeyRequest(key: Uint8Array): Uint8Array {
  const w = new Writer();
  w.u8(SerfMessageType.KeyRequest), w.mapHeader(1), w.str("Key"), w.str(key);
  return w.bytes();
}

/** The raw key of a key request. */
export function decodeKeyRequest(bytes: Uint8Array): Uint8Array {
  return decodeBody(bytes, "key request", () => {
    if (bytes[0] !== SerfMessageType.KeyRequest) throw new TypeError("Not a key request");
    return bytesField(asMap(decode(bytes.subarray(1)), "key request"), "Key");
  });
}

/** nodeKeyResponse: the outcome of a key operation on one node. */
export interface KeyResponse {
  result: boolean;
  message: string;
  /** Base64 keys (list-keys only). */
  keys: string[];
  /** Base64 primary key (list-keys only). */
  primaryKey: string;
}

/** `[0x08]` + msgpack nodeKeyResponse. */
export function encodeKeyResponse(r: KeyResponse): Uint8Array {
  const w = new Writer();
  w.u8(SerfMessageType.KeyResponse), w.mapHeader(4), w.str("Keys"), w.arrayHeader(r.keys.length);
  for (const k of r.keys) w.str(k);
  w.str("Message"), w.str(r.message), w.str("PrimaryKey"), w.str(r.primaryKey);
  w.str("Result"), w.bool(r.result);
  return w.bytes();
}

/** Decodes a key response payload. */
export function decodeKeyResponse(bytes: Uint8Array): KeyResponse {
  return decodeBody(bytes, "key response", () => {
    if (bytes[0] !== SerfMessageType.KeyResponse) throw new TypeError("Not a key response");
    const m = asMap(decode(bytes.subarray(1)), "key response");
    return {
      result: boolField(m, "Result"),
      message: stringField(m, "Message"),
      keys: stringsField(m, "Keys"),
      primaryKey: stringField(m, "PrimaryKey"),
    };
  });
}
