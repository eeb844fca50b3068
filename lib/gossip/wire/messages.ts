/**
 * memberlist message structures and their msgpack bodies (wire spec §4).
 *
 * A message on the wire is `[type byte][msgpack body]`. {@linkcode encodeMessage} and
 * {@linkcode decodeMessage} handle exactly that form; compound, compression, CRC, encryption and
 * label layers live in the packet codec. Keys are written in the sorted order Go emits, so our
 * output is byte-identical to memberlist's.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, MessageType } from "./messages.ts";
 * const bytes = encodeMessage({ type: MessageType.Ping, seqNo: 1, node: "b" });
 * console.assert(decodeMessage(bytes).type === MessageType.Ping);
 * ```
 *
 * @module
 */

import { asMap, boolField, bytesField, intField, stringField, uintField } from "./fields.ts";
import { DecodeError } from "./errors.ts";
import {
  type Message,
  MessageType,
  NodeState,
  type PushNodeState,
  type PushPullHeader,
  type SourceFields,
} from "./message_types.ts";
import { encode, type EncValue, MsgpackError, Reader, type Writer } from "./msgpack.ts";

export { DecodeError, type DecodeReason } from "./errors.ts";
export * from "./message_types.ts";

const U16 = 0xffff;

function sourceFields(m: SourceFields): Record<string, EncValue> {
  return {
    SourceAddr: m.sourceAddr && m.sourceAddr.length > 0 ? m.sourceAddr : undefined,
    SourceNode: m.sourceNode ? m.sourceNode : undefined,
    SourcePort: m.sourcePort ? m.sourcePort : undefined,
  };
}

function body(m: Message): EncValue {
  switch (m.type) {
    case MessageType.Ping:
      return { Node: m.node, SeqNo: m.seqNo, ...sourceFields(m) };
    case MessageType.IndirectPing: {
      const s = sourceFields(m);
      return {
        Nack: m.nack,
        Node: m.node,
        Port: m.port,
        SeqNo: m.seqNo,
        SourceAddr: s.SourceAddr,
        SourceNode: s.SourceNode,
        SourcePort: s.SourcePort,
        Target: m.target,
      };
    }
    case MessageType.Ack:
      return { Payload: m.payload, SeqNo: m.seqNo };
    case MessageType.Nack:
      return { SeqNo: m.seqNo };
    case MessageType.Suspect:
      return { From: m.from, Incarnation: m.incarnation, Node: m.node };
    case MessageType.Alive:
      return {
        Addr: m.addr,
        Incarnation: m.incarnation,
        Meta: m.meta,
        Node: m.node,
        Port: m.port,
        Vsn: m.vsn,
      };
    case MessageType.Dead:
      return { From: m.from, Incarnation: m.incarnation, Node: m.node };
    case MessageType.Err:
      return { Error: m.error };
    case MessageType.User:
      throw new Error("unreachable: user messages have no msgpack body");
  }
}

/** Encodes a message as `[type][body]`. */
export function encodeMessage(m: Message): Uint8Array {
  if (m.type === MessageType.User) {
    const out = new Uint8Array(1 + m.payload.length);
    out[0] = MessageType.User;
    out.set(m.payload, 1);
    return out;
  }
  const b = encode(body(m));
  const out = new Uint8Array(1 + b.length);
  out[0] = m.type;
  out.set(b, 1);
  return out;
}

function source(m: Map<string, unknown>): SourceFields {
  const f = m as Map<string, never>;
  const out: SourceFields = {};
  const addr = bytesField(f, "SourceAddr");
  if (addr.length > 0) out.sourceAddr = addr;
  const port = uintField(f, "SourcePort", U16);
  if (port > 0) out.sourcePort = port;
  const node = stringField(f, "SourceNode");
  if (node !== "") out.sourceNode = node;
  return out;
}

/** Types that {@linkcode decodeMessage} understands (user has no msgpack body). */
const BODY_TYPES: ReadonlySet<number> = new Set([
  MessageType.Ping,
  MessageType.IndirectPing,
  MessageType.Ack,
  MessageType.Nack,
  MessageType.Suspect,
  MessageType.Alive,
  MessageType.Dead,
  MessageType.Err,
]);

function decodeBody(type: number, body: Uint8Array): Message {
  const reader = new Reader(body);
  const m = asMap(reader.read(), `message type ${type}`);
  switch (type) {
    case MessageType.Ping:
      return {
        type,
        seqNo: uintField(m, "SeqNo"),
        node: stringField(m, "Node"),
        ...source(m),
      };
    case MessageType.IndirectPing:
      return {
        type,
        seqNo: uintField(m, "SeqNo"),
        target: bytesField(m, "Target"),
        port: uintField(m, "Port", U16),
        node: stringField(m, "Node"),
        nack: boolField(m, "Nack"),
        ...source(m),
      };
    case MessageType.Ack: {
      const p = m.get("Payload");
      return {
        type,
        seqNo: uintField(m, "SeqNo"),
        payload: p === undefined || p === null ? null : bytesField(m, "Payload"),
      };
    }
    case MessageType.Nack:
      return { type, seqNo: uintField(m, "SeqNo") };
    case MessageType.Suspect:
    case MessageType.Dead:
      return {
        type,
        incarnation: uintField(m, "Incarnation"),
        node: stringField(m, "Node"),
        from: stringField(m, "From"),
      };
    case MessageType.Alive:
      return {
        type,
        incarnation: uintField(m, "Incarnation"),
        node: stringField(m, "Node"),
        addr: bytesField(m, "Addr"),
        port: uintField(m, "Port", U16),
        meta: bytesField(m, "Meta"),
        vsn: bytesField(m, "Vsn"),
      };
    case MessageType.Err:
      return { type, error: stringField(m, "Error") };
  }
  throw new DecodeError(`Unknown message type ${type}`, { reason: "unknown-type" });
}

/**
 * Decodes one `[type][body]` message (not a compound, compress, CRC or label wrapper).
 * Throws {@linkcode DecodeError} for anything malformed or unknown.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.length === 0) throw new DecodeError("Empty message");
  const type = bytes[0]!;
  if (type === MessageType.User) return { type, payload: bytes.slice(1) };
  if (!BODY_TYPES.has(type)) {
    throw new DecodeError(`Unknown message type ${type}`, { reason: "unknown-type" });
  }
  try {
    return decodeBody(type, bytes.subarray(1));
  } catch (err) {
    if (err instanceof MsgpackError) {
      throw new DecodeError(`Malformed message type ${type}: ${err.message}`, {
        cause: err,
        reason: err.reason,
      });
    }
    throw err;
  }
}

/** Writes a push/pull header map (after the type byte). */
export function writePushPullHeader(w: Writer, h: PushPullHeader): void {
  w.value({ Join: h.join, Nodes: h.nodes, UserStateLen: h.userStateLen });
}

/** Writes one push/pull node state map. */
export function writePushNodeState(w: Writer, s: PushNodeState): void {
  // Entry by entry, the bytes `w.value({ Addr, Incarnation, … })` writes, without building the
  // object and its entries: a push/pull carries one of these per member.
  w.mapHeader(7);
  entry(w, "Addr", s.addr);
  entry(w, "Incarnation", s.incarnation);
  entry(w, "Meta", s.meta);
  entry(w, "Name", s.name);
  entry(w, "Port", s.port);
  entry(w, "State", s.state);
  entry(w, "Vsn", s.vsn);
}

/** One map entry: the string `key`, then `value` as an int or a string. */
function entry(w: Writer, key: string, value: number | string | Uint8Array): void {
  w.str(key);
  if (typeof value === "number") w.int(value);
  else w.str(value);
}

/**
 * Reads a push/pull header map. Throws {@linkcode DecodeError}; a `MsgpackTruncatedError` (reason
 * "truncated") means the input ended early, which a stream parser can treat as "need more bytes".
 */
export function readPushPullHeader(r: Reader): PushPullHeader {
  const m = asMap(r.read(), "push/pull header");
  const nodes = intField(m, "Nodes");
  const userStateLen = intField(m, "UserStateLen");
  if (nodes < 0 || userStateLen < 0) throw new DecodeError("Negative push/pull counts");
  return { nodes, userStateLen, join: boolField(m, "Join") };
}

/** Reads one push/pull node state map. Throws {@linkcode DecodeError} as readPushPullHeader. */
export function readPushNodeState(r: Reader): PushNodeState {
  const m = asMap(r.read(), "push/pull node state");
  const state = intField(m, "State");
  if (state < NodeState.Alive || state > NodeState.Left) {
    throw new DecodeError(`Unknown node state ${state}`);
  }
  return {
    name: stringField(m, "Name"),
    addr: bytesField(m, "Addr"),
    port: uintField(m, "Port", U16),
    meta: bytesField(m, "Meta"),
    incarnation: uintField(m, "Incarnation"),
    state,
    vsn: bytesField(m, "Vsn"),
  };
}
