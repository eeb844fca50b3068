/**
 * Coordinates on the wire (wire spec §7.13): the ping-ack payload `[0x01]` + msgpack Coordinate,
 * and the RPC `Coord` record. Every number is written as float64, as Go does, never as a fixint.
 *
 * @example
 * ```ts
 * import { decodeCoordinateAck, encodeCoordinateAck } from "./wire.ts";
 * import { newCoordinate } from "./coordinate.ts";
 * const back = decodeCoordinateAck(encodeCoordinateAck(newCoordinate()));
 * console.assert(back.error === 1.5 && back.vec.length === 8);
 * ```
 *
 * @module
 */

import { asMap, floatField } from "../../gossip/wire/fields.ts";
import { decode, Float64, MsgpackError, type MsgValue, Writer } from "../../gossip/wire/msgpack.ts";
import { decodeBody } from "../_decode.ts";
import type { Coordinate } from "./coordinate.ts";

/** serf's `PingVersion`: the header byte of the ack payload. */
export const PING_VERSION = 1;

/** Longest `Vec` accepted from the network (serf uses 8). */
const DIMENSIONS_MAX = 64;

/** msgpack Coordinate with every field as float64, keys in Go's order. */
export function writeCoordinate(w: Writer, c: Coordinate): void {
  w.mapHeader(4);
  w.str("Adjustment"), w.float64(c.adjustment), w.str("Error"), w.float64(c.error);
  w.str("Height"), w.float64(c.height), w.str("Vec"), w.arrayHeader(c.vec.length);
  for (const x of c.vec) w.float64(x);
}

/** The ack payload: `[0x01]` + msgpack Coordinate. */
export function encodeCoordinateAck(c: Coordinate): Uint8Array {
  const w = new Writer();
  w.u8(PING_VERSION);
  writeCoordinate(w, c);
  return w.bytes();
}

/** A Coordinate from a decoded msgpack map (Go's rules: missing fields are zero). */
export function coordinateFromMap(m: Map<string, MsgValue>): Coordinate {
  const vec = m.get("Vec") ?? null;
  if (vec !== null && !Array.isArray(vec)) throw new MsgpackError("Field Vec is not an array");
  if (vec !== null && vec.length > DIMENSIONS_MAX) {
    throw new MsgpackError(`Field Vec has ${vec.length} dimensions, over ${DIMENSIONS_MAX}`);
  }
  return {
    vec: (vec ?? []).map((x) => {
      if (typeof x !== "number") throw new MsgpackError("Field Vec has a non-number element");
      return x;
    }),
    error: floatField(m, "Error"),
    adjustment: floatField(m, "Adjustment"),
    height: floatField(m, "Height"),
  };
}

/**
 * Decodes an ack payload. Throws `SerfDecodeError` for a wrong version byte or a bad encoding
 * (serf logs those and still counts the ack).
 */
export function decodeCoordinateAck(bytes: Uint8Array): Coordinate {
  return decodeBody(bytes, "coordinate ack", () => {
    if (bytes[0] !== PING_VERSION) throw new TypeError(`Unsupported ping version ${bytes[0]}`);
    return coordinateFromMap(asMap(decode(bytes.subarray(1)), "coordinate"));
  });
}

/** The RPC record of a coordinate (`get-coordinate`'s `Coord`). */
export function coordinateValue(c: Coordinate): Record<string, Float64 | Float64[] | null> {
  return {
    Adjustment: new Float64(c.adjustment),
    Error: new Float64(c.error),
    Height: new Float64(c.height),
    Vec: c.vec.length === 0 ? null : c.vec.map((x) => new Float64(x)),
  };
}
