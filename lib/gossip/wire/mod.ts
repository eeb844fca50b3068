/**
 * The memberlist wire codec: msgpack with Go's conventions, message bodies, and every framing
 * layer (compound, LZW compress, CRC, AES-GCM, label) for UDP packets and TCP streams. Pure and
 * synchronous; the gossip shell does the I/O.
 *
 * @example
 * ```ts
 * import { decodeMessage, decodePacket, encodeMessage, encodePacket, MessageType } from "./mod.ts";
 * const wire = encodePacket([encodeMessage({ type: MessageType.Ping, seqNo: 1, node: "" })]);
 * const [first] = decodePacket(wire).messages;
 * console.assert(decodeMessage(first!).type === MessageType.Ping);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./msgpack.ts";
export * from "./fields.ts";
export * from "./messages.ts";
export * from "./crc32.ts";
export * from "./lzw.ts";
export * from "./compress.ts";
export * from "./compound.ts";
export * from "./label.ts";
export * from "./keyring.ts";
export * from "./packet.ts";
export * from "./push_pull.ts";
export * from "./stream.ts";
export * from "./stream_decoder.ts";
