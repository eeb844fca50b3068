/**
 * Incremental parsers for the bodies of stream messages (the bytes after the type byte), shared
 * by the stream decoder for bytes still arriving and for decrypted or decompressed buffers.
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import { asMap, intField } from "./fields.ts";
import {
  type Ack,
  decodeMessage,
  type ErrResp,
  MessageType,
  type Ping,
  type User,
} from "./messages.ts";
import { ScannedValue } from "./_msgpack_scan.ts";
import { type PushPull, type PushPullLimits, PushPullParser } from "./push_pull.ts";

/** A push/pull as a stream message. */
export interface PushPullMessage extends PushPull {
  type: MessageType.PushPull;
}

/** What one TCP stream frame carries. */
export type StreamMessage = Ping | Ack | ErrResp | User | PushPullMessage;

/** Parses a body incrementally: `null` until complete; throws DecodeError when malformed. */
export interface BodyParser {
  step(body: Uint8Array): StreamMessage | null;
  /** Body bytes the message occupied, valid once step returned it. */
  readonly consumedBytes: number;
}

/** Limits that apply to message bodies. */
export interface BodyLimits extends PushPullLimits {
  /** Largest user message payload (TCP user message). */
  userMsgMaxBytes: number;
}

/**
 * Bytes a ping, ack or error body may take on a stream. Each is a small map (an ack's payload is
 * a serf coordinate, ~100 bytes; an error is one line); a UDP packet, where the same messages
 * travel, is at most 64 KiB. Without this cap such a body could fill the whole frame limit.
 */
export const STREAM_MAP_BODY_MAX_BYTES = 64 * 1024;
/** Bytes the header map of a TCP user message may take (it holds one integer). */
const USER_HEADER_MAX_BYTES = 256;

function tooLarge(what: string, max: number): DecodeError {
  return new DecodeError(`Stream ${what} exceeds ${max} bytes`, { reason: "too-large" });
}

class MapBody implements BodyParser {
  consumedBytes = 0;
  readonly #value = new ScannedValue(0);
  constructor(readonly type: MessageType.Ping | MessageType.Ack | MessageType.Err) {}
  step(body: Uint8Array): StreamMessage | null {
    const read = this.#value.step(body, (r) => r.read());
    if (read === null) {
      if (body.length > STREAM_MAP_BODY_MAX_BYTES) {
        throw tooLarge(`message of type ${this.type}`, STREAM_MAP_BODY_MAX_BYTES);
      }
      return null;
    }
    if (read.end > STREAM_MAP_BODY_MAX_BYTES) {
      throw tooLarge(`message of type ${this.type}`, STREAM_MAP_BODY_MAX_BYTES);
    }
    this.consumedBytes = read.end;
    const bytes = new Uint8Array(1 + read.end);
    bytes[0] = this.type;
    bytes.set(body.subarray(0, read.end), 1);
    return decodeMessage(bytes) as Ping | Ack | ErrResp;
  }
}

class UserBody implements BodyParser {
  consumedBytes = 0;
  #len = -1;
  #offset = 0;
  readonly #header = new ScannedValue(0);
  constructor(readonly maxBytes: number) {}
  step(body: Uint8Array): StreamMessage | null {
    if (this.#len < 0) {
      const read = this.#header.step(body, (r) => r.read());
      if (read === null) {
        if (body.length > USER_HEADER_MAX_BYTES) {
          throw tooLarge("user message header", USER_HEADER_MAX_BYTES);
        }
        return null;
      }
      const len = intField(asMap(read.value, "user message header"), "UserMsgLen");
      if (len < 0) throw new DecodeError(`Negative user message length ${len}`);
      if (len > this.maxBytes) {
        throw new DecodeError(`User message of ${len} bytes exceeds ${this.maxBytes}`, {
          reason: "too-large",
        });
      }
      this.#len = len;
      this.#offset = read.end;
    }
    if (body.length - this.#offset < this.#len) return null;
    this.consumedBytes = this.#offset + this.#len;
    return { type: MessageType.User, payload: body.slice(this.#offset, this.consumedBytes) };
  }
}

class PushPullBody implements BodyParser {
  readonly #parser: PushPullParser;
  constructor(limits: PushPullLimits) {
    this.#parser = new PushPullParser(limits);
  }
  get consumedBytes(): number {
    return this.#parser.consumedBytes;
  }
  step(body: Uint8Array): StreamMessage | null {
    const p = this.#parser.step(body);
    return p === null ? null : { type: MessageType.PushPull, ...p };
  }
}

/** The parser for a stream message type; throws DecodeError ("unknown-type") for others. */
export function bodyParser(type: number, limits: BodyLimits): BodyParser {
  switch (type) {
    case MessageType.Ping:
    case MessageType.Ack:
    case MessageType.Err:
      return new MapBody(type);
    case MessageType.User:
      return new UserBody(limits.userMsgMaxBytes);
    case MessageType.PushPull:
      return new PushPullBody(limits);
  }
  throw new DecodeError(`Message type ${type} is not valid on a stream`, {
    reason: "unknown-type",
  });
}

/** Parses a complete `[type][body]` buffer; an early end is a DecodeError ("truncated"). */
export function parseWhole(bytes: Uint8Array, limits: BodyLimits): StreamMessage {
  if (bytes.length === 0) {
    throw new DecodeError("Missing message type byte", { reason: "truncated" });
  }
  const m = bodyParser(bytes[0]!, limits).step(bytes.subarray(1));
  if (m === null) throw new DecodeError("Stream message is truncated", { reason: "truncated" });
  return m;
}
