/**
 * Synchronous AES-GCM on `node:crypto`. Deno's node:crypto offers aes-128-gcm and aes-256-gcm
 * but not aes-192-gcm, so 24-byte keys take a fallback built from AES-ECB (for the hash key and
 * the tag mask), AES-CTR (for the keystream) and GHASH in TypeScript (NIST SP 800-38D). The
 * fallback is tested against the native mode for the key sizes that have one.
 *
 * `node:crypto` is loaded on first use, not at import: the Node compatibility layer costs a
 * process about 6 MB (BENCHMARKS.md, Footprint), and a cluster without encryption never needs it.
 * `process.getBuiltinModule` loads it synchronously, so the codecs stay synchronous.
 *
 * @module
 */

import type * as NodeCrypto from "node:crypto";

type NodeCryptoModule = typeof NodeCrypto;
type BuiltinLoader = { getBuiltinModule(id: string): unknown };

let nodeCrypto: NodeCryptoModule | undefined;

/**
 * `node:crypto`, loaded the first time it is asked for (a {@linkcode Keyring} asks when it is
 * built, so the cost is paid at start, not on the first packet).
 *
 * @example
 * ```ts
 * import { loadNodeCrypto } from "./_gcm.ts";
 * console.assert(typeof loadNodeCrypto().createCipheriv === "function");
 * ```
 */
export function loadNodeCrypto(): NodeCryptoModule {
  if (nodeCrypto) return nodeCrypto;
  const loader = (globalThis as { process?: BuiltinLoader }).process;
  if (!loader) throw new Error("AES-GCM needs node:crypto, which this runtime does not provide");
  return nodeCrypto = loader.getBuiltinModule("node:crypto") as NodeCryptoModule;
}

/** GCM tag length used by memberlist. */
export const TAG_BYTES = 16;
/** GCM nonce length used by memberlist. */
export const NONCE_BYTES = 12;

function nativeName(key: Uint8Array): "aes-128-gcm" | "aes-256-gcm" | null {
  if (key.length === 16) return "aes-128-gcm";
  if (key.length === 32) return "aes-256-gcm";
  return null;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** AES-GCM seal: ciphertext followed by the 16-byte tag. */
export function gcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  forceFallback = false,
): Uint8Array {
  const name = nativeName(key);
  if (name === null || forceFallback) return fallbackSeal(key, nonce, plaintext, aad);
  const c = loadNodeCrypto().createCipheriv(name, key, nonce, { authTagLength: TAG_BYTES });
  c.setAAD(aad);
  const body = concat(c.update(plaintext), c.final());
  return concat(body, c.getAuthTag());
}

/** AES-GCM open; `null` when the tag does not verify. */
export function gcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
  forceFallback = false,
): Uint8Array | null {
  if (sealed.length < TAG_BYTES) return null;
  const name = nativeName(key);
  if (name === null || forceFallback) return fallbackOpen(key, nonce, sealed, aad);
  const ct = sealed.subarray(0, sealed.length - TAG_BYTES);
  const d = loadNodeCrypto().createDecipheriv(name, key, nonce, { authTagLength: TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return concat(d.update(ct), d.final());
  } catch {
    return null; // node:crypto reports a failed tag check by throwing.
  }
}

function ecbBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = loadNodeCrypto().createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

function ctr(key: Uint8Array, counter: Uint8Array, data: Uint8Array): Uint8Array {
  // Node's CTR increments all 128 bits, GCM only the low 32; they agree below 2^32 blocks.
  const c = loadNodeCrypto().createCipheriv(`aes-${key.length * 8}-ctr`, key, counter);
  return concat(c.update(data), c.final());
}

/** Multiplies the GHASH state `x` (4 big-endian words) by H in GF(2^128), in place. */
function gfMul(x: Uint32Array, h: Uint32Array): void {
  let z0 = 0, z1 = 0, z2 = 0, z3 = 0;
  let v0 = h[0]!, v1 = h[1]!, v2 = h[2]!, v3 = h[3]!;
  for (let i = 0; i < 128; i++) {
    if ((x[i >>> 5]! >>> (31 - (i & 31))) & 1) {
      z0 ^= v0, z1 ^= v1, z2 ^= v2, z3 ^= v3;
    }
    const lsb = v3 & 1;
    v3 = (v3 >>> 1) | (v2 << 31);
    v2 = (v2 >>> 1) | (v1 << 31);
    v1 = (v1 >>> 1) | (v0 << 31);
    v0 = v0 >>> 1;
    if (lsb) v0 ^= 0xe1000000;
  }
  x[0] = z0, x[1] = z1, x[2] = z2, x[3] = z3;
}

function words(block: Uint8Array): Uint32Array {
  const v = new DataView(block.buffer, block.byteOffset, 16);
  return Uint32Array.of(v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12));
}

function ghash(h: Uint32Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const x = new Uint32Array(4);
  const absorb = (data: Uint8Array): void => {
    for (let at = 0; at < data.length; at += 16) {
      const block = new Uint8Array(16);
      block.set(data.subarray(at, at + 16));
      const w = words(block);
      for (let i = 0; i < 4; i++) x[i]! ^= w[i]!;
      gfMul(x, h);
    }
  };
  absorb(aad);
  absorb(ct);
  const lens = new Uint8Array(16);
  const lv = new DataView(lens.buffer);
  lv.setBigUint64(0, BigInt(aad.length) * 8n);
  lv.setBigUint64(8, BigInt(ct.length) * 8n);
  absorb(lens);
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) ov.setUint32(4 * i, x[i]!);
  return out;
}

function counters(nonce: Uint8Array): { j0: Uint8Array; first: Uint8Array } {
  const j0 = new Uint8Array(16);
  j0.set(nonce);
  j0[15] = 1;
  const first = j0.slice();
  first[15] = 2;
  return { j0, first };
}

function tagFor(key: Uint8Array, j0: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const h = words(ecbBlock(key, new Uint8Array(16)));
  const s = ghash(h, aad, ct);
  const mask = ecbBlock(key, j0);
  return s.map((b, i) => b ^ mask[i]!);
}

function fallbackSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  const { j0, first } = counters(nonce);
  const ct = ctr(key, first, plaintext);
  return concat(ct, tagFor(key, j0, aad, ct));
}

function fallbackOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Uint8Array | null {
  const { j0, first } = counters(nonce);
  const ct = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const want = tagFor(key, j0, aad, ct);
  let diff = 0;
  for (let i = 0; i < TAG_BYTES; i++) diff |= want[i]! ^ tag[i]!;
  return diff === 0 ? ctr(key, first, ct) : null;
}
