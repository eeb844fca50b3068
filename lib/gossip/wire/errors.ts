/**
 * The one error type the gossip shell counts for untrusted input: every decode failure in this
 * folder is a {@linkcode DecodeError} (or a subclass such as `MsgpackError`) carrying a
 * {@linkcode DecodeReason} the shell can use as a metric label.
 *
 * @example
 * ```ts
 * import { DecodeError } from "./errors.ts";
 * const err = new DecodeError("Bad CRC", { reason: "crc" });
 * console.assert(err.reason === "crc");
 * ```
 *
 * @module
 */

/** Why an input was dropped; stable strings, suitable as metric labels. */
export type DecodeReason =
  /** Structurally invalid: bad msgpack, a field of the wrong type, an impossible value. */
  | "malformed"
  /** The input ended before the declared lengths were satisfied. */
  | "truncated"
  /** A message type byte we do not handle in this position. */
  | "unknown-type"
  /** A label header that is malformed or not ours. */
  | "label"
  /** Decryption failed: no key fits, the tag does not verify, or a bad version byte. */
  | "decrypt"
  /** Encryption is required but the input is plaintext. */
  | "unencrypted"
  /** The CRC-32 header does not match the payload. */
  | "crc"
  /** The LZW stream (or its compress wrapper) is invalid. */
  | "lzw"
  /** A declared or decompressed size is above one of our limits. */
  | "too-large";

/** Options for {@linkcode DecodeError}. */
export interface DecodeErrorOptions extends ErrorOptions {
  /**
   * Why the input was dropped.
   * @default {"malformed"}
   */
  reason?: DecodeReason | undefined;
}

/** Thrown when bytes from the network are not valid memberlist wire data. */
export class DecodeError extends Error {
  override name = "DecodeError";
  /** Why the input was dropped. */
  readonly reason: DecodeReason;
  constructor(message: string, options?: DecodeErrorOptions) {
    super(message, options);
    this.reason = options?.reason ?? "malformed";
  }
}
