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
import { Reader } from "./msgpack.ts";
import { type PushPull, type PushPullLimits, PushPullParser, tryRead } from "./push_pull.ts";

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

class MapBody implements BodyParser {
  consumedBytes = 0;
  constructor(readonly type: MessageType.Ping | MessageType.Ack | MessageType.Err) {}
  step(body: Uint8Array): StreamMessage | null {
    const r = new Reader(body);
    if (tryRead(() => r.read()) === null) return null;
    this.consumedBytes = r.offset;
    const bytes = new Uint8Array(1 + r.offset);
    bytes[0] = this.type;
    bytes.set(body.subarray(0, r.offset), 1);
    return decodeMessage(bytes) as Ping | Ack | ErrResp;
  }
}

class UserBody implements BodyParser {
  consumedBytes = 0;
  #len = -1;
  #offset = 0;
  constructor(readonly maxBytes: number) {}
  step(body: Uint8Array): StreamMessage | null {
    if (this.#len < 0) {
      const r = new Reader(body);
      const header = tryRead(() => r.read());
      if (header === null) return null;
      const len = intField(asMap(header, "user message header"), "UserMsgLen");
      if (len < 0) throw new DecodeError(`Negative user message length ${len}`);
      if (len > this.maxBytes) {
        throw new DecodeError(`User message of ${len} bytes exceeds ${this.maxBytes}`, {
          reason: "too-large",
        });
      }
      this.#len = len;
      this.#offset = r.offset;
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
