/**
 * memberlist message types, node states and message shapes (wire spec §4). Re-exported by
 * `messages.ts`, which encodes and decodes them.
 *
 * @example
 * ```ts
 * import { MessageType, type Ping } from "./message_types.ts";
 * const ping: Ping = { type: MessageType.Ping, seqNo: 1, node: "b" };
 * console.assert(ping.type === 0);
 * ```
 *
 * @module
 */

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

/** ping (0): a probe; answered with an ack carrying the same SeqNo. */
export interface Ping extends SourceFields {
  type: MessageType.Ping;
  seqNo: number;
  /** Name of the intended target; "" for any. */
  node: string;
}
/** indirectPingReq (1): asks a helper to probe `target:port` on our behalf. */
export interface IndirectPing extends SourceFields {
  type: MessageType.IndirectPing;
  seqNo: number;
  target: Uint8Array;
  port: number;
  node: string;
  nack: boolean;
}
/** ackResp (2): the answer to a ping (serf puts a coordinate in the payload). */
export interface Ack {
  type: MessageType.Ack;
  seqNo: number;
  /** `null` encodes as msgpack nil (Go's nil slice). */
  payload: Uint8Array | null;
}
/** nackResp (11): a helper could not reach the target of an indirect ping. */
export interface Nack {
  type: MessageType.Nack;
  seqNo: number;
}
/** suspect (3): `from` suspects `node` at `incarnation`. */
export interface Suspect {
  type: MessageType.Suspect;
  incarnation: number;
  node: string;
  from: string;
}
/** alive (4): `node` is alive at `incarnation`, with its address, metadata and versions. */
export interface Alive {
  type: MessageType.Alive;
  incarnation: number;
  node: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  vsn: Uint8Array;
}
/** dead (5): `node` is dead (or left, when `from === node`) at `incarnation`. */
export interface Dead {
  type: MessageType.Dead;
  incarnation: number;
  node: string;
  /** `from === node` marks a graceful leave. */
  from: string;
}
/** user (8): an opaque delegate payload (a serf message). */
export interface User {
  type: MessageType.User;
  /** Opaque delegate payload (for serf: `[serf type][msgpack]`). */
  payload: Uint8Array;
}
/** errResp (13): an error reply on a stream. */
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
