/**
 * The UDP packet pipeline (wire spec §1.2). Sending, innermost first: one message bare or several
 * in a compound, LZW compression if strictly shorter, the CRC header, encryption, the label header.
 * Receiving reverses it and unwraps compound and compress recursively, returning the leaf messages
 * as `[type][body]` bytes for {@linkcode decodeMessage}.
 *
 * @example
 * ```ts
 * import { decodePacket, encodePacket } from "./packet.ts";
 * import { decodeMessage, encodeMessage, MessageType } from "./messages.ts";
 * const ping = encodeMessage({ type: MessageType.Ping, seqNo: 1, node: "b" });
 * const wire = encodePacket([ping], { crc: true });
 * const { messages } = decodePacket(wire);
 * console.assert(decodeMessage(messages[0]!).type === MessageType.Ping);
 * ```
 *
 * @module
 */

import { decodeCompoundBody, encodeCompound } from "./compound.ts";
import { decodeCompressBody, encodeCompress } from "./compress.ts";
import { crc32 } from "./crc32.ts";
import { DecodeError } from "./errors.ts";
import type { EncryptionVersion, Keyring } from "./keyring.ts";
import { addLabel, checkLabel } from "./label.ts";
import { MessageType } from "./messages.ts";
import { utf8 } from "./msgpack.ts";

export { COMPOUND_HEADER_OVERHEAD, COMPOUND_OVERHEAD, COMPOUND_PARTS_MAX } from "./compound.ts";
export { ENCRYPTION_OVERHEAD, ENCRYPTION_OVERHEAD_V0 } from "./keyring.ts";
export { labelOverhead } from "./label.ts";

/** Bytes the CRC header adds: type byte and u32. */
export const CRC_OVERHEAD = 5;
/**
 * Decompressed bytes allowed per packet, across all its compress layers. Go only compresses what
 * it built for one datagram, which is under 64 KiB (the UDP limit), so nothing legitimate
 * inflates beyond it; at 1 MiB a 1.8 KB LZW bomb cost ~3 ms of CPU per packet (issue 13).
 */
export const PACKET_DECOMPRESSED_MAX_BYTES = 64 * 1024;
/** Compound/compress layers allowed inside each other; Go sends at most two (compress, compound). */
export const PACKET_NESTING_MAX = 8;

/** Message types that may appear as leaves of a UDP packet. */
const UDP_LEAF_TYPES: ReadonlySet<number> = new Set([
  MessageType.Ping,
  MessageType.IndirectPing,
  MessageType.Ack,
  MessageType.Suspect,
  MessageType.Alive,
  MessageType.Dead,
  MessageType.User,
  MessageType.Nack,
]);

/** Options for {@linkcode encodePacket}. */
export interface EncodePacketOptions {
  /**
   * Try LZW compression and keep it if strictly shorter.
   * @default {true}
   */
  compress?: boolean | undefined;
  /**
   * Add the CRC header (Go does for recipients with protocol max >= 5 that it looked up).
   * @default {false}
   */
  crc?: boolean | undefined;
  /** Encrypt with this keyring's primary key. */
  keyring?: Keyring | undefined;
  /**
   * Encryption format version.
   * @default {1}
   */
  encryptionVersion?: EncryptionVersion | undefined;
  /**
   * Label to prefix; "" for none.
   * @default {""}
   */
  label?: string | undefined;
}

/**
 * Builds one UDP datagram from encoded messages (each `[type][body]`): bare if one, a compound if
 * several (at most 255: split batches first). A programmer error (RangeError) for none.
 *
 * @example
 * ```ts
 * import { encodePacket } from "./packet.ts";
 * const wire = encodePacket([new Uint8Array([8, 1]), new Uint8Array([8, 2])], { compress: false });
 * console.assert(wire[0] === 7);
 * ```
 */
export function encodePacket(
  messages: readonly Uint8Array[],
  options: EncodePacketOptions = {},
): Uint8Array {
  if (messages.length === 0) throw new RangeError("A packet needs at least one message");
  let buf = messages.length === 1 ? messages[0]! : encodeCompound(messages);
  if (options.compress ?? true) {
    const compressed = encodeCompress(buf);
    if (compressed.length < buf.length) buf = compressed;
  }
  if (options.crc) {
    const out = new Uint8Array(CRC_OVERHEAD + buf.length);
    out[0] = MessageType.HasCrc;
    new DataView(out.buffer).setUint32(1, crc32(buf));
    out.set(buf, CRC_OVERHEAD);
    buf = out;
  }
  const label = options.label ?? "";
  if (options.keyring) {
    buf = options.keyring.encrypt(buf, utf8(label), options.encryptionVersion ?? 1);
  }
  return addLabel(buf, label);
}

/** Options for {@linkcode decodePacket}. */
export interface DecodePacketOptions {
  /**
   * Our label; packets with another label are dropped.
   * @default {""}
   */
  label?: string | undefined;
  /**
   * Accept unlabelled packets as ours (Go's SkipInboundLabelCheck).
   * @default {false}
   */
  skipInboundLabelCheck?: boolean | undefined;
  /** Decrypt with this keyring; without one, packets are taken as plaintext. */
  keyring?: Keyring | undefined;
  /**
   * With a keyring: drop packets that do not decrypt (Go's GossipVerifyIncoming). When false,
   * they are read as plaintext.
   * @default {true}
   */
  verifyIncoming?: boolean | undefined;
  /**
   * Decompressed bytes allowed across the packet.
   * @default {PACKET_DECOMPRESSED_MAX_BYTES}
   */
  decompressedMaxBytes?: number | undefined;
  /**
   * Adds the bytes decompression produced (or was allowed to produce, when it failed for
   * exceeding the limit), for a budget across packets.
   */
  meter?: { decompressedBytes: number } | undefined;
}

/** A decoded datagram. */
export interface DecodedPacket {
  /** Leaf messages, `[type][body]`, in order; views into the input or decompressed buffers. */
  messages: Uint8Array[];
  /**
   * Parts that were dropped while the rest was kept, as Go does: truncated compound tails,
   * undecodable compress parts, unknown types, nesting too deep.
   */
  errors: DecodeError[];
  /** The label the packet carried (our label under skipInboundLabelCheck). */
  label: string;
  /** Whether it decrypted with our keyring. */
  encrypted: boolean;
  /** Whether it carried a (valid) CRC header. */
  crc: boolean;
  /** Whether any compress layer was unwrapped. */
  compressed: boolean;
}

interface Walk {
  messages: Uint8Array[];
  errors: DecodeError[];
  budget: number;
  compressed: boolean;
}

function decryptLayer(buf: Uint8Array, label: string, o: DecodePacketOptions): Uint8Array | null {
  if (!o.keyring) return null;
  try {
    return o.keyring.decrypt(buf, utf8(label));
  } catch (err) {
    if (o.verifyIncoming ?? true) throw err;
    return null;
  }
}

function crcLayer(buf: Uint8Array): Uint8Array | null {
  if (buf.length < CRC_OVERHEAD || buf[0] !== MessageType.HasCrc) return null;
  const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
  const rest = buf.subarray(CRC_OVERHEAD);
  if (crc32(rest) !== expected) throw new DecodeError("CRC mismatch", { reason: "crc" });
  return rest;
}

/**
 * Decodes one datagram down to its leaf messages. Throws {@linkcode DecodeError} when nothing in
 * it is usable: wrong label ("label"), decryption failed ("decrypt"), bad CRC ("crc"), or no part
 * decodable (the first failure is thrown). When some parts decode, the failed ones are listed in
 * `errors` instead, as Go drops single parts of a compound.
 *
 * @example
 * ```ts
 * import { decodePacket } from "./packet.ts";
 * const r = decodePacket(new Uint8Array([7, 2, 0, 1, 0, 1, 8, 8]));
 * console.assert(r.messages.length === 2);
 * ```
 */
export function decodePacket(bytes: Uint8Array, options: DecodePacketOptions = {}): DecodedPacket {
  const { label, rest } = checkLabel(bytes, options);
  let buf = rest;
  const plain = decryptLayer(buf, label, options);
  if (plain) buf = plain;
  const checked = crcLayer(buf);
  if (checked) buf = checked;
  const walk: Walk = {
    messages: [],
    errors: [],
    budget: options.decompressedMaxBytes ?? PACKET_DECOMPRESSED_MAX_BYTES,
    compressed: false,
  };
  const allowed = walk.budget;
  try {
    unwrap(buf, 0, walk);
  } finally {
    if (options.meter) options.meter.decompressedBytes += allowed - walk.budget;
  }
  if (walk.messages.length === 0 && walk.errors.length > 0) throw walk.errors[0]!;
  const { messages, errors, compressed } = walk;
  return { messages, errors, compressed, label, encrypted: plain !== null, crc: checked !== null };
}

function unwrap(buf: Uint8Array, depth: number, walk: Walk): void {
  try {
    if (buf.length === 0) {
      throw new DecodeError("Missing message type byte", { reason: "truncated" });
    }
    const type = buf[0]!;
    if (UDP_LEAF_TYPES.has(type)) return void walk.messages.push(buf);
    if (type !== MessageType.Compound && type !== MessageType.Compress) {
      throw new DecodeError(`Message type ${type} is not allowed here`, { reason: "unknown-type" });
    }
    if (depth >= PACKET_NESTING_MAX) {
      throw new DecodeError(`Packet nests deeper than ${PACKET_NESTING_MAX}`, {
        reason: "malformed",
      });
    }
    if (type === MessageType.Compress) {
      let inner: Uint8Array;
      try {
        inner = decodeCompressBody(buf.subarray(1), { outputMaxBytes: walk.budget }).inner;
      } catch (err) {
        // it inflated up to the whole remaining budget before failing
        if (err instanceof DecodeError && err.reason === "too-large") walk.budget = 0;
        throw err;
      }
      walk.budget -= inner.length;
      walk.compressed = true;
      return unwrap(inner, depth + 1, walk);
    }
    const { parts, truncated } = decodeCompoundBody(buf.subarray(1));
    for (const part of parts) unwrap(part, depth + 1, walk);
    if (truncated > 0) {
      walk.errors.push(
        new DecodeError(`Compound is missing ${truncated} truncated parts`, {
          reason: "truncated",
        }),
      );
    }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    walk.errors.push(err);
  }
}
