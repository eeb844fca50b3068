/**
 * The compress message (type 9): `[0x09][msgpack {"Algo": 0, "Buf": <LZW bytes>}]` (wire spec
 * §1.6). The decompressed bytes are a complete inner message starting with its own type byte.
 *
 * @example
 * ```ts
 * import { decodeCompressBody, encodeCompress } from "./compress.ts";
 * const wire = encodeCompress(new Uint8Array([0x41]));
 * console.assert(decodeCompressBody(wire.subarray(1)).inner[0] === 0x41);
 * ```
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import { asMap, bytesField, uintField } from "./fields.ts";
import { LZW_OUTPUT_MAX_BYTES, lzwCompress, lzwDecompress } from "./lzw.ts";
import { type MsgValue, Reader, Writer } from "./msgpack.ts";
import { MessageType } from "./messages.ts";

/** The only compression algorithm memberlist defines. */
export const LZW_ALGO = 0;

/**
 * Wraps an encoded message in a compress message. No size check: on UDP the caller keeps the
 * result only if it is shorter; on TCP Go always compresses.
 *
 * @example
 * ```ts
 * import { encodeCompress } from "./compress.ts";
 * console.assert(encodeCompress(new Uint8Array([0x41]))[0] === 9);
 * ```
 */
export function encodeCompress(message: Uint8Array): Uint8Array {
  const w = new Writer();
  w.u8(MessageType.Compress);
  w.mapHeader(2);
  w.str("Algo");
  w.int(LZW_ALGO);
  w.str("Buf");
  w.str(lzwCompress(message));
  return w.bytes();
}

/** Options for decoding a compress message. */
export interface DecompressOptions {
  /**
   * Refuse (reason "too-large") inner messages longer than this.
   * @default {LZW_OUTPUT_MAX_BYTES}
   */
  outputMaxBytes?: number | undefined;
}

/** A decoded compress message. */
export interface Decompressed {
  /** The inner message, starting with its type byte; never empty. */
  inner: Uint8Array;
  /** Bytes of the input the msgpack map occupied. */
  consumedBytes: number;
}

/**
 * Decompresses an already-parsed `{Algo, Buf}` map. Throws {@linkcode DecodeError}.
 *
 * @example
 * ```ts
 * import { decompressMap } from "./compress.ts";
 * import { decode, encode } from "./msgpack.ts";
 * const m = decode(encode({ Algo: 0, Buf: new Uint8Array([0x00, 0x83, 0x04, 0x04]) }));
 * console.assert(decompressMap(m)[0] === 0x41);
 * ```
 */
export function decompressMap(value: MsgValue, options: DecompressOptions = {}): Uint8Array {
  const m = asMap(value, "compress message");
  const algo = uintField(m, "Algo", 0xff);
  if (algo !== LZW_ALGO) {
    throw new DecodeError(`Unknown compression algorithm ${algo}`, { reason: "lzw" });
  }
  const inner = lzwDecompress(bytesField(m, "Buf"), {
    outputMaxBytes: options.outputMaxBytes ?? LZW_OUTPUT_MAX_BYTES,
  });
  if (inner.length === 0) {
    throw new DecodeError("Compressed message is empty", { reason: "lzw" });
  }
  return inner;
}

/**
 * Decodes the body of a compress message (the bytes after the 0x09 type byte). Bytes after the
 * msgpack map are ignored, as Go does. Throws {@linkcode DecodeError}.
 *
 * @example
 * ```ts
 * import { decodeCompressBody } from "./compress.ts";
 * const body = Uint8Array.from([0x82, 0xa4, 0x41, 0x6c, 0x67, 0x6f, 0x00, 0xa3, 0x42, 0x75, 0x66,
 *   0xa4, 0x00, 0x83, 0x04, 0x04]);
 * console.assert(decodeCompressBody(body).inner[0] === 0x41);
 * ```
 */
export function decodeCompressBody(
  body: Uint8Array,
  options: DecompressOptions = {},
): Decompressed {
  const r = new Reader(body);
  const inner = decompressMap(r.read(), options);
  return { inner, consumedBytes: r.offset };
}
