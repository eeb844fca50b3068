/**
 * msgpack with Go's (hashicorp/go-msgpack) conventions, as memberlist and serf put it on the wire.
 *
 * Encoding follows the old codec, which every Go version decodes: strings and byte slices both as the
 * "raw" str family (fixstr, str16, str32; never str8 or bin), non-negative integers in the smallest
 * unsigned form, floats always as float64, `null` for nil. Decoding accepts everything either Go codec
 * generation emits: the whole str and bin families (returned as bytes, never as text), every integer
 * form, float32/64, nil.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./msgpack.ts";
 * const bytes = encode({ SeqNo: 7, Node: "a" });
 * const back = decode(bytes) as Map<string, unknown>;
 * console.assert(back.get("SeqNo") === 7);
 * ```
 *
 * @module
 */

export * from "./_msgpack_base.ts";
export * from "./_msgpack_reader.ts";
export * from "./_msgpack_writer.ts";
