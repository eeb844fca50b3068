/**
 * The label header `[0xF4][len: u8][label]` (wire spec §1.3): prefixed to every UDP packet and to
 * the start of a TCP connection by the dialer when a label is configured. It keeps clusters that
 * share a network apart and is authenticated data for encryption.
 *
 * @example
 * ```ts
 * import { addLabel, stripLabel } from "./label.ts";
 * const wire = addLabel(new Uint8Array([0]), "blue");
 * console.assert(stripLabel(wire).label === "blue");
 * ```
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import { fromUtf8, utf8 } from "./msgpack.ts";
import { MessageType } from "./messages.ts";

/** A label is 1..255 bytes of UTF-8. */
export const LABEL_MAX_BYTES = 255;

/**
 * Bytes the label header adds (0 without a label): the budget term for UDP packing.
 *
 * @example
 * ```ts
 * import { labelOverhead } from "./label.ts";
 * console.assert(labelOverhead("blue") === 6 && labelOverhead("") === 0);
 * ```
 */
export function labelOverhead(label: string): number {
  return label === "" ? 0 : 2 + utf8(label).length;
}

/**
 * Checks a configured label; a RangeError (configuration error) when longer than 255 bytes.
 *
 * @example
 * ```ts
 * import { validateLabel } from "./label.ts";
 * validateLabel("blue");
 * ```
 */
export function validateLabel(label: string): void {
  const n = utf8(label).length;
  if (n > LABEL_MAX_BYTES) {
    throw new RangeError(`Label "${label.slice(0, 32)}…" is ${n} bytes; the maximum is 255`);
  }
}

/**
 * Prefixes the label header; returns `bytes` unchanged for the empty label, as Go does.
 *
 * @example
 * ```ts
 * import { addLabel } from "./label.ts";
 * console.assert(addLabel(new Uint8Array([0]), "a").join() === "244,1,97,0");
 * ```
 */
export function addLabel(bytes: Uint8Array, label: string): Uint8Array {
  if (label === "") return bytes;
  validateLabel(label);
  const l = utf8(label);
  const out = new Uint8Array(2 + l.length + bytes.length);
  out[0] = MessageType.HasLabel;
  out[1] = l.length;
  out.set(l, 2);
  out.set(bytes, 2 + l.length);
  return out;
}

/** The result of {@linkcode stripLabel}. */
export interface Unlabelled {
  /** The label found ("" when there was no header). */
  label: string;
  /** The bytes after the header (the input when there was none). */
  rest: Uint8Array;
}

/**
 * Removes a label header if present. Throws {@linkcode DecodeError} (reason "label") for a header
 * with length 0 or one cut short.
 *
 * @example
 * ```ts
 * import { stripLabel } from "./label.ts";
 * console.assert(stripLabel(new Uint8Array([0, 1])).label === "");
 * ```
 */
export function stripLabel(bytes: Uint8Array): Unlabelled {
  if (bytes.length === 0 || bytes[0] !== MessageType.HasLabel) return { label: "", rest: bytes };
  if (bytes.length < 2) throw new DecodeError("Label header is truncated", { reason: "label" });
  const n = bytes[1]!;
  if (n === 0) throw new DecodeError("Label header is empty", { reason: "label" });
  if (bytes.length < 2 + n) throw new DecodeError("Label header is truncated", { reason: "label" });
  return { label: fromUtf8(bytes.subarray(2, 2 + n)), rest: bytes.subarray(2 + n) };
}

/** Options for {@linkcode checkLabel}. */
export interface LabelCheckOptions {
  /**
   * Our label; "" for none.
   * @default {""}
   */
  label?: string | undefined;
  /**
   * Go's SkipInboundLabelCheck: unlabelled input counts as carrying our label, and a label header
   * is then an error.
   * @default {false}
   */
  skipInboundLabelCheck?: boolean | undefined;
}

/**
 * The label an input was sent with, after Go's checks: throws {@linkcode DecodeError} (reason
 * "label") when it is not ours. "No label" is the empty label.
 *
 * @example
 * ```ts
 * import { checkLabel } from "./label.ts";
 * const wire = new Uint8Array([244, 1, 97, 0]);
 * console.assert(checkLabel(wire, { label: "a" }).rest.join() === "0");
 * ```
 */
export function checkLabel(bytes: Uint8Array, options: LabelCheckOptions = {}): Unlabelled {
  const ours = options.label ?? "";
  const found = stripLabel(bytes);
  if (options.skipInboundLabelCheck) {
    if (found.label !== "") {
      throw new DecodeError("Unexpected label header", { reason: "label" });
    }
    return { label: ours, rest: found.rest };
  }
  if (found.label !== ours) {
    throw new DecodeError(`Label "${found.label}" is not ours ("${ours}")`, { reason: "label" });
  }
  return found;
}
