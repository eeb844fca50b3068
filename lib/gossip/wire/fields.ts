/**
 * Typed access to the fields of a decoded msgpack map, the way Go decodes a struct: unknown keys
 * are ignored, missing keys and nil give the zero value, and a value of the wrong type is an error.
 *
 * @module
 */

import { fromUtf8, MsgpackError, type MsgValue } from "./msgpack.ts";

const EMPTY = new Uint8Array(0);

/** The map at the top of a decoded value, or an error naming `what`. */
export function asMap(v: MsgValue, what: string): Map<string, MsgValue> {
  if (v instanceof Map) return v;
  throw new MsgpackError(`Expected a map for ${what}`);
}

/** A non-negative integer field no larger than `max` (0 when missing). */
export function uintField(m: Map<string, MsgValue>, key: string, max = 0xffffffff): number {
  const v = m.get(key);
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max) return v;
  throw new MsgpackError(`Field ${key} is not an unsigned integer <= ${max}`);
}

/** A u64 field (a Lamport time): a number when safe, else a bigint. */
export function u64Field(m: Map<string, MsgValue>, key: string): number | bigint {
  const v = m.get(key);
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "bigint" && v >= 0n) return v;
  throw new MsgpackError(`Field ${key} is not an unsigned 64-bit integer`);
}

/** A signed integer field (Go `int`, `int64`, enums, durations). */
export function intField(m: Map<string, MsgValue>, key: string): number {
  const v = m.get(key);
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") {
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
      return Number(v);
    }
  }
  throw new MsgpackError(`Field ${key} is not an integer`);
}

/** A float field (integers are accepted and widened). */
export function floatField(m: Map<string, MsgValue>, key: string): number {
  const v = m.get(key);
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  throw new MsgpackError(`Field ${key} is not a number`);
}

/** A bool field. */
export function boolField(m: Map<string, MsgValue>, key: string): boolean {
  const v = m.get(key);
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  throw new MsgpackError(`Field ${key} is not a bool`);
}

/** A []byte field: raw bytes, empty when missing or nil. */
export function bytesField(m: Map<string, MsgValue>, key: string): Uint8Array {
  const v = m.get(key);
  if (v === undefined || v === null) return EMPTY;
  if (v instanceof Uint8Array) return v;
  // go-msgpack v2 also accepts an array of small integers for []byte.
  if (Array.isArray(v) && v.every((x) => typeof x === "number" && x >= 0 && x <= 255)) {
    return Uint8Array.from(v as number[]);
  }
  throw new MsgpackError(`Field ${key} is not a byte string`);
}

/** A string field, decoded as UTF-8. */
export function stringField(m: Map<string, MsgValue>, key: string): string {
  const v = m.get(key);
  if (v === undefined || v === null) return "";
  if (v instanceof Uint8Array) return fromUtf8(v);
  throw new MsgpackError(`Field ${key} is not a string`);
}

/** A []string field. */
export function stringsField(m: Map<string, MsgValue>, key: string): string[] {
  const v = m.get(key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MsgpackError(`Field ${key} is not an array`);
  return v.map((x) => {
    if (x instanceof Uint8Array) return fromUtf8(x);
    throw new MsgpackError(`Field ${key} has a non-string element`);
  });
}

/** A map[string]string field. */
export function stringMapField(m: Map<string, MsgValue>, key: string): Map<string, string> {
  const v = m.get(key);
  const out = new Map<string, string>();
  if (v === undefined || v === null) return out;
  if (!(v instanceof Map)) throw new MsgpackError(`Field ${key} is not a map`);
  for (const [k, val] of v) {
    if (!(val instanceof Uint8Array)) throw new MsgpackError(`Field ${key}.${k} is not a string`);
    out.set(k, fromUtf8(val));
  }
  return out;
}
