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
import { encode, type EncValue, MsgpackError, Reader, type Writer } from "./msgpack.ts";

/** memberlist message type bytes; the numbers are the protocol. */
export enum MessageType {
  Ping = 0,
  IndirectPing = 1,
  Ack = 2,
  Suspect = 3,
  Alive = 4,
  Dead = 5,
  PushPull = 6,
  Compound = 7,
  User = 8,
  Compress = 9,
  Encrypt = 10,
  Nack = 11,
  HasCrc = 12,
  Err = 13,
  HasLabel = 244,
}

/** memberlist node states as numbered in push/pull. */
export enum NodeState {
  Alive = 0,
  Suspect = 1,
  Dead = 2,
  Left = 3,
}

/** The version vector every shoal node sends: pmin, pmax, pcur, dmin, dmax, dcur. */
export const SHOAL_VSN: readonly number[] = [1, 5, 2, 2, 5, 5];

/** Fields naming the sender of a ping or indirect ping; all omitted when empty. */
export interface SourceFields {
  sourceAddr?: Uint8Array;
  sourcePort?: number;
  sourceNode?: string;
}

export interface Ping extends SourceFields {
  type: MessageType.Ping;
  seqNo: number;
  /** Name of the intended target; "" for any. */
  node: string;
}
export interface IndirectPing extends SourceFields {
  type: MessageType.IndirectPing;
  seqNo: number;
  target: Uint8Array;
  port: number;
  node: string;
  nack: boolean;
}
export interface Ack {
  type: MessageType.Ack;
  seqNo: number;
  /** `null` encodes as msgpack nil (Go's nil slice). */
  payload: Uint8Array | null;
}
export interface Nack {
  type: MessageType.Nack;
  seqNo: number;
}
export interface Suspect {
  type: MessageType.Suspect;
  incarnation: number;
  node: string;
  from: string;
}
export interface Alive {
  type: MessageType.Alive;
  incarnation: number;
  node: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  vsn: Uint8Array;
}
export interface Dead {
  type: MessageType.Dead;
  incarnation: number;
  node: string;
  /** `from === node` marks a graceful leave. */
  from: string;
}
export interface User {
  type: MessageType.User;
  /** Opaque delegate payload (for serf: `[serf type][msgpack]`). */
  payload: Uint8Array;
}
export interface ErrResp {
  type: MessageType.Err;
  error: string;
}

/** Every message that travels as `[type][body]` and is not a wrapper layer. */
export type Message = Ping | IndirectPing | Ack | Nack | Suspect | Alive | Dead | User | ErrResp;

/** One entry of a push/pull node table. */
export interface PushNodeState {
  name: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  incarnation: number;
  state: NodeState;
  vsn: Uint8Array;
}

/** The header that follows a push/pull type byte. */
export interface PushPullHeader {
  nodes: number;
  userStateLen: number;
  join: boolean;
}

/** Thrown when bytes are not a valid memberlist message. */
export class DecodeError extends Error {
  override name = "DecodeError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

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
  throw new DecodeError(`Unknown message type ${type}`);
}

/**
 * Decodes one `[type][body]` message (not a compound, compress, CRC or label wrapper).
 * Throws {@linkcode DecodeError} for anything malformed or unknown.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.length === 0) throw new DecodeError("Empty message");
  const type = bytes[0]!;
  if (type === MessageType.User) return { type, payload: bytes.slice(1) };
  try {
    return decodeBody(type, bytes.subarray(1));
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    if (err instanceof MsgpackError) {
      throw new DecodeError(`Malformed message type ${type}: ${err.message}`, { cause: err });
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
  w.value({
    Addr: s.addr,
    Incarnation: s.incarnation,
    Meta: s.meta,
    Name: s.name,
    Port: s.port,
    State: s.state,
    Vsn: s.vsn,
  });
}

/** Reads a push/pull header map. */
export function readPushPullHeader(r: Reader): PushPullHeader {
  try {
    const m = asMap(r.read(), "push/pull header");
    const nodes = intField(m, "Nodes");
    const userStateLen = intField(m, "UserStateLen");
    if (nodes < 0 || userStateLen < 0) throw new DecodeError("Negative push/pull counts");
    return { nodes, userStateLen, join: boolField(m, "Join") };
  } catch (err) {
    if (err instanceof MsgpackError) throw new DecodeError(err.message, { cause: err });
    throw err;
  }
}

/** Reads one push/pull node state map. */
export function readPushNodeState(r: Reader): PushNodeState {
  try {
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
  } catch (err) {
    if (err instanceof MsgpackError) throw new DecodeError(err.message, { cause: err });
    throw err;
  }
}
