/**
 * Serf tags carried in memberlist node metadata (wire spec §7.1): `0xFF` followed by a msgpack
 * `map[string]string`. Metadata that is empty or does not start with `0xFF` is the protocol-2
 * form, where the whole metadata is the value of the `role` tag.
 *
 * @example
 * ```ts
 * import { decodeTags, encodeTags } from "./tags.ts";
 * const meta = encodeTags(new Map([["role", "web"]]));
 * console.assert(meta[0] === 0xff);
 * console.assert(decodeTags(meta).get("role") === "web");
 * ```
 *
 * @module
 */

import { Writer } from "../gossip/wire/msgpack.ts";
import { fromUtf8, MsgpackError, Reader } from "../gossip/wire/msgpack.ts";
import { SerfDecodeError, SizeLimitError } from "./errors.ts";

/** The first metadata byte of the tag-map form (serf protocol >= 3). */
export const TAG_MAGIC_BYTE = 0xff;

/** memberlist's metadata limit; the encoded tags must fit in it. */
export const META_SIZE_MAX_BYTES = 512;

/** Serf tags: name to value. */
export type Tags = ReadonlyMap<string, string>;

/**
 * Encodes tags as node metadata. Throws {@linkcode SizeLimitError} when the result would exceed
 * {@linkcode META_SIZE_MAX_BYTES}, because memberlist cannot carry it.
 */
export function encodeTags(tags: Tags): Uint8Array {
  const w = new Writer();
  w.u8(TAG_MAGIC_BYTE);
  w.mapHeader(tags.size);
  for (const [k, v] of tags) (w.str(k), w.str(v));
  const bytes = w.bytes();
  if (bytes.length > META_SIZE_MAX_BYTES) {
    throw new SizeLimitError("tags", bytes.length, META_SIZE_MAX_BYTES);
  }
  return bytes;
}

/** Decodes node metadata into tags; the legacy form yields `{role: <meta as text>}`. */
export function decodeTags(meta: Uint8Array): Map<string, string> {
  const tags = new Map<string, string>();
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) {
    tags.set("role", fromUtf8(meta));
    return tags;
  }
  try {
    const r = new Reader(meta, 1);
    const v = r.read();
    if (v === null) return tags;
    if (!(v instanceof Map)) throw new SerfDecodeError("Node metadata tags are not a map");
    for (const [k, val] of v) {
      if (!(val instanceof Uint8Array)) throw new SerfDecodeError(`Tag ${k} is not a string`);
      tags.set(k, fromUtf8(val));
    }
    return tags;
  } catch (e) {
    if (e instanceof MsgpackError) {
      throw new SerfDecodeError("Cannot decode node tags", { cause: e });
    }
    throw e;
  }
}
