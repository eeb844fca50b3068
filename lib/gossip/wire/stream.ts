/**
 * TCP stream framing (wire spec §5). A frame is one stream message, LZW-compressed as Go always
 * does, optionally encrypted as `[0x0A][n: u32][blob]` (AAD = those 5 bytes + label), and preceded
 * by the label header only at the very start of a connection the dialer opened.
 *
 * {@linkcode StreamDecoder} is sans-IO and incremental: feed it chunks as they arrive and it returns
 * a frame once complete. Go's dialer keeps the socket open while waiting for the reply, so an
 * acceptor cannot read to EOF; every length is checked against a limit before bytes are buffered.
 *
 * @example
 * ```ts
 * import { encodeStreamFrame, StreamDecoder } from "./stream.ts";
 * import { encodeMessage, MessageType } from "./messages.ts";
 * const wire = encodeStreamFrame(encodeMessage({ type: MessageType.Ping, seqNo: 3, node: "a" }));
 * const dec = new StreamDecoder();
 * console.assert(dec.feed(wire.subarray(0, 5)) === null);
 * console.assert(dec.feed(wire.subarray(5))?.message.type === MessageType.Ping);
 * ```
 *
 * @module
 */

import { encodeCompress } from "./compress.ts";
import { encryptedLength, type EncryptionVersion, type Keyring } from "./keyring.ts";
import { addLabel } from "./label.ts";
import { MessageType } from "./messages.ts";
import { utf8, Writer } from "./msgpack.ts";
import { STREAM_ENCRYPT_HEADER_BYTES } from "./stream_decoder.ts";

export * from "./stream_decoder.ts";
export { decodePushPull, encodePushPull, type PushPull } from "./push_pull.ts";

/** Options for {@linkcode encodeStreamFrame}. */
export interface EncodeStreamOptions {
  /**
   * LZW-compress the message; Go always does on streams.
   * @default {true}
   */
  compress?: boolean | undefined;
  /** Encrypt with this keyring's primary key. */
  keyring?: Keyring | undefined;
  /** @default {1} */
  encryptionVersion?: EncryptionVersion | undefined;
  /**
   * The connection's label: authenticated data for encryption, and the header when `dialer`.
   * @default {""}
   */
  label?: string | undefined;
  /**
   * True for the first frame of a connection we dialed: prefix the label header.
   * @default {false}
   */
  dialer?: boolean | undefined;
}

/**
 * Frames one encoded stream message (`[type][body]`: {@linkcode encodeMessage} for ping, ack and
 * err, {@linkcode encodePushPull}, {@linkcode encodeUserStreamMessage}).
 *
 * @example
 * ```ts
 * import { encodeStreamFrame } from "./stream.ts";
 * console.assert(encodeStreamFrame(new Uint8Array([13, 0x80]))[0] === 9);
 * ```
 */
export function encodeStreamFrame(
  message: Uint8Array,
  options: EncodeStreamOptions = {},
): Uint8Array {
  let buf = options.compress ?? true ? encodeCompress(message) : message;
  const label = options.label ?? "";
  if (options.keyring) {
    const version = options.encryptionVersion ?? 1;
    const header = new Uint8Array(STREAM_ENCRYPT_HEADER_BYTES);
    header[0] = MessageType.Encrypt;
    new DataView(header.buffer).setUint32(1, encryptedLength(version, buf.length));
    const blob = options.keyring.encrypt(buf, concat(header, utf8(label)), version);
    buf = concat(header, blob);
  }
  return options.dialer ? addLabel(buf, label) : buf;
}

/**
 * Encodes a TCP user message: `[0x08][{UserMsgLen}][payload]`.
 *
 * @example
 * ```ts
 * import { encodeUserStreamMessage } from "./stream.ts";
 * console.assert(encodeUserStreamMessage(new Uint8Array([7])).length === 15);
 * ```
 */
export function encodeUserStreamMessage(payload: Uint8Array): Uint8Array {
  const w = new Writer();
  w.u8(MessageType.User);
  w.value({ UserMsgLen: payload.length });
  w.raw(payload);
  return w.bytes();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
