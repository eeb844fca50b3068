/**
 * CRC-32/IEEE (the zlib / Ethernet checksum), as memberlist's `hasCrc` header uses it (wire spec
 * §1.5): reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF.
 *
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * const sum = crc32(new TextEncoder().encode("123456789"));
 * console.assert(sum === 0xcbf43926);
 * ```
 *
 * @module
 */

const POLY_REFLECTED = 0xedb88320;

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY_REFLECTED ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const TABLE = makeTable();

/**
 * The CRC-32/IEEE of `bytes`, as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * console.assert(crc32(new Uint8Array(0)) === 0);
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
