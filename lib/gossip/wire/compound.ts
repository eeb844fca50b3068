/**
 * The compound message (type 7): several messages in one packet (wire spec §1.7).
 *
 * ```
 * [0x07][N: u8][len_1: u16 BE]...[len_N: u16 BE][msg_1]...[msg_N]
 * ```
 *
 * @example
 * ```ts
 * import { decodeCompoundBody, encodeCompound } from "./compound.ts";
 * const wire = encodeCompound([new Uint8Array([8, 1]), new Uint8Array([8, 2])]);
 * console.assert(decodeCompoundBody(wire.subarray(1)).parts.length === 2);
 * ```
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import { MessageType } from "./messages.ts";

/** At most this many parts fit one compound: the count is a single byte. */
export const COMPOUND_PARTS_MAX = 255;
/** A part's length is a u16. */
export const COMPOUND_PART_MAX_BYTES = 0xffff;
/** Bytes a compound adds once: the type byte and the part count. */
export const COMPOUND_HEADER_OVERHEAD = 2;
/** Bytes a compound adds per part: its u16 length. */
export const COMPOUND_OVERHEAD = 2;

/**
 * Builds one compound message. A programmer error (RangeError) for more than 255 parts or a part
 * longer than 65 535 bytes; use {@linkcode encodeCompounds} to split large batches.
 *
 * @example
 * ```ts
 * import { encodeCompound } from "./compound.ts";
 * const wire = encodeCompound([new Uint8Array([8]), new Uint8Array([8, 9])]);
 * console.assert(wire.join() === "7,2,0,1,0,2,8,8,9");
 * ```
 */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > COMPOUND_PARTS_MAX) {
    throw new RangeError(
      `A compound holds at most ${COMPOUND_PARTS_MAX} parts, got ${parts.length}`,
    );
  }
  let size = COMPOUND_HEADER_OVERHEAD + COMPOUND_OVERHEAD * parts.length;
  for (const p of parts) {
    if (p.length > COMPOUND_PART_MAX_BYTES) {
      throw new RangeError(`A compound part is at most 65535 bytes, got ${p.length}`);
    }
    size += p.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = MessageType.Compound;
  out[1] = parts.length;
  let at = COMPOUND_HEADER_OVERHEAD + COMPOUND_OVERHEAD * parts.length;
  parts.forEach((p, i) => {
    view.setUint16(COMPOUND_HEADER_OVERHEAD + COMPOUND_OVERHEAD * i, p.length);
    out.set(p, at);
    at += p.length;
  });
  return out;
}

/**
 * Splits `parts` into compounds of at most 255 parts each, as Go's makeCompoundMessages does.
 *
 * @example
 * ```ts
 * import { encodeCompounds } from "./compound.ts";
 * const many = Array.from({ length: 300 }, () => new Uint8Array([8]));
 * console.assert(encodeCompounds(many).length === 2);
 * ```
 */
export function encodeCompounds(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i += COMPOUND_PARTS_MAX) {
    out.push(encodeCompound(parts.slice(i, i + COMPOUND_PARTS_MAX)));
  }
  return out;
}

/** The parts of a compound. */
export interface CompoundParts {
  /** Complete parts, in order (views into the input). */
  parts: Uint8Array[];
  /** Declared parts missing because the input ended early (Go logs "N truncated messages"). */
  truncated: number;
}

/**
 * Splits the body of a compound (the bytes after the 0x07 type byte). As in Go, complete parts
 * before a truncation are returned and the missing ones counted; a body too short for its length
 * table throws {@linkcode DecodeError} (reason "truncated").
 *
 * @example
 * ```ts
 * import { decodeCompoundBody } from "./compound.ts";
 * const r = decodeCompoundBody(new Uint8Array([2, 0, 1, 0, 5, 8]));
 * console.assert(r.parts.length === 1 && r.truncated === 1);
 * ```
 */
export function decodeCompoundBody(body: Uint8Array): CompoundParts {
  if (body.length < 1) {
    throw new DecodeError("Compound is missing its part count", { reason: "truncated" });
  }
  const n = body[0]!;
  if (body.length < 1 + 2 * n) {
    throw new DecodeError(`Compound of ${n} parts is missing its length table`, {
      reason: "truncated",
    });
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts: Uint8Array[] = [];
  let at = 1 + 2 * n;
  for (let i = 0; i < n; i++) {
    const len = view.getUint16(1 + 2 * i);
    if (at + len > body.length) return { parts, truncated: n - i };
    parts.push(body.subarray(at, at + len));
    at += len;
  }
  return { parts, truncated: 0 };
}
