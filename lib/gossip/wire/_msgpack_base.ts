/**
 * Shared msgpack types, markers and errors (see `msgpack.ts`).
 *
 * @module
 */

import { DecodeError } from "./errors.ts";

/** A decoded msgpack value. Strings and binaries both decode to bytes. */
export type MsgValue =
  | null
  | boolean
  | number
  | bigint
  | Uint8Array
  | MsgValue[]
  | Map<string, MsgValue>;

/** A value {@linkcode encode} accepts. Objects and Maps become msgpack maps in iteration order. */
export type EncValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float64
  | Bin
  | readonly EncValue[]
  | ReadonlyMap<string, EncValue>
  | { readonly [key: string]: EncValue };

/** Marks a number to be written as float64 (`0xcb`), even when it is integral. */
export class Float64 {
  constructor(readonly value: number) {}
}

/** Marks bytes to be written in the bin family (`0xc4..0xc6`), as serf's RPC codec does. */
export class Bin {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * Thrown for any malformed, truncated or unsupported msgpack input (and for values that cannot be
 * encoded). A {@linkcode DecodeError}, so the gossip shell counts it like every other decode failure.
 */
export class MsgpackError extends DecodeError {
  override name = "MsgpackError";
}

/**
 * The input ended inside a value. A stream parser can wait for at least `neededBytes` bytes in
 * total (counted from the start of the Reader's buffer) and try again.
 */
export class MsgpackTruncatedError extends MsgpackError {
  override name = "MsgpackTruncatedError";
  constructor(message: string, readonly neededBytes: number) {
    super(message, { reason: "truncated" });
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: false });

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

/** A string from UTF-8 bytes (invalid sequences become U+FFFD). */
export function fromUtf8(b: Uint8Array): string {
  return textDecoder.decode(b);
}
