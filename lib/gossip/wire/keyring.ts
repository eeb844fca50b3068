/**
 * memberlist's AES-GCM keyring (wire spec §1.4, §5.3). The first key is the primary key, used to
 * encrypt; every key is tried to decrypt. Encrypted blob: `[version][nonce 12][ciphertext ‖ tag 16]`;
 * version 1 is plain GCM (what serf sends), version 0 PKCS#7-pads the plaintext first.
 *
 * Synchronous (node:crypto, loaded when the first keyring is built), so the packet and stream
 * codecs stay pure. The nonce comes from an
 * injected random-bytes function, so tests are deterministic.
 *
 * @example
 * ```ts
 * import { Keyring } from "./keyring.ts";
 * const ring = Keyring.fromBase64(["QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="]);
 * const blob = ring.encrypt(new Uint8Array([1, 2, 3]), new Uint8Array(0));
 * console.assert(ring.decrypt(blob, new Uint8Array(0)).join() === "1,2,3");
 * ```
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import { gcmOpen, gcmSeal, loadNodeCrypto, NONCE_BYTES, TAG_BYTES } from "./_gcm.ts";

export { NONCE_BYTES, TAG_BYTES } from "./_gcm.ts";

/** Encryption format version byte: 1 = GCM, 0 = GCM over PKCS#7-padded plaintext. */
export type EncryptionVersion = 0 | 1;

/** Bytes encryption adds with version 1: version byte, nonce, tag. */
export const ENCRYPTION_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
/** Bytes encryption adds at most with version 0 (a full padding block on top). */
export const ENCRYPTION_OVERHEAD_V0 = ENCRYPTION_OVERHEAD + 16;
/** Valid AES key lengths: AES-128, AES-192, AES-256. */
export const KEY_LENGTHS: readonly number[] = [16, 24, 32];

const BLOCK_BYTES = 16;

/** A source of cryptographically random bytes. */
export type RandomBytes = (n: number) => Uint8Array;

const systemRandomBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/** A configured key is unusable (a configuration error, not a network one). */
export class KeyError extends Error {
  override name = "KeyError";
}

/**
 * The length of an encrypted blob for `plaintextBytes` of input.
 *
 * @example
 * ```ts
 * import { encryptedLength } from "./keyring.ts";
 * console.assert(encryptedLength(1, 0) === 29 && encryptedLength(0, 0) === 45);
 * ```
 */
export function encryptedLength(version: EncryptionVersion, plaintextBytes: number): number {
  if (version === 1) return ENCRYPTION_OVERHEAD + plaintextBytes;
  const padded = plaintextBytes + BLOCK_BYTES - (plaintextBytes % BLOCK_BYTES);
  return ENCRYPTION_OVERHEAD + padded;
}

/**
 * Checks a key's length; throws {@linkcode KeyError}.
 *
 * @example
 * ```ts
 * import { validateKey } from "./keyring.ts";
 * validateKey(new Uint8Array(32));
 * ```
 */
export function validateKey(key: Uint8Array): void {
  if (!KEY_LENGTHS.includes(key.length)) {
    throw new KeyError(
      `Invalid encryption key: ${key.length} bytes; it must be 16, 24 or 32 bytes (AES-128/192/256)`,
    );
  }
}

/**
 * Parses a base64 key as `serf keygen` prints it; throws {@linkcode KeyError}.
 *
 * @example
 * ```ts
 * import { parseKeyBase64 } from "./keyring.ts";
 * console.assert(parseKeyBase64("AAAAAAAAAAAAAAAAAAAAAA==").length === 16);
 * ```
 */
export function parseKeyBase64(text: string): Uint8Array {
  const trimmed = text.trim();
  let raw: string;
  try {
    raw = atob(trimmed);
  } catch { // atob throws only InvalidCharacterError: the text is not base64
    throw new KeyError(`Invalid encryption key: "${trimmed.slice(0, 8)}…" is not valid base64`);
  }
  const key = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  validateKey(key);
  return key;
}

/** Options for {@linkcode Keyring}. */
export interface KeyringOptions {
  /**
   * Nonce source.
   * @default {crypto.getRandomValues}
   */
  randomBytes?: RandomBytes | undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function decryptError(message: string): DecodeError {
  return new DecodeError(message, { reason: "decrypt" });
}

/** An AES-GCM keyring with memberlist's semantics. */
export class Keyring {
  #keys: Uint8Array[];
  readonly #randomBytes: RandomBytes;

  /** `keys[0]` becomes the primary key. Throws {@linkcode KeyError} for no or invalid keys. */
  constructor(keys: readonly Uint8Array[], options: KeyringOptions = {}) {
    if (keys.length === 0) throw new KeyError("A keyring needs at least one key");
    keys.forEach(validateKey);
    this.#keys = [];
    for (const k of keys) if (!this.#keys.some((x) => sameBytes(x, k))) this.#keys.push(k.slice());
    this.#randomBytes = options.randomBytes ?? systemRandomBytes;
    loadNodeCrypto(); // at start, not on the first packet
  }

  /** A keyring from base64 keys, the first being primary. */
  static fromBase64(keys: readonly string[], options: KeyringOptions = {}): Keyring {
    return new Keyring(keys.map(parseKeyBase64), options);
  }

  /** The key used to encrypt. */
  get primaryKey(): Uint8Array {
    return this.#keys[0]!;
  }

  /** All keys, primary first. */
  get keys(): readonly Uint8Array[] {
    return this.#keys;
  }

  /** Installs a secondary key (a no-op if present), as serf's install-key. */
  addKey(key: Uint8Array): void {
    validateKey(key);
    if (!this.#keys.some((k) => sameBytes(k, key))) this.#keys.push(key.slice());
  }

  /** Makes an installed key primary, as serf's use-key. */
  useKey(key: Uint8Array): void {
    const i = this.#keys.findIndex((k) => sameBytes(k, key));
    if (i < 0) throw new KeyError("Requested key is not in the keyring");
    this.#keys.unshift(...this.#keys.splice(i, 1));
  }

  /** Removes a secondary key, as serf's remove-key; the primary key cannot be removed. */
  removeKey(key: Uint8Array): void {
    if (sameBytes(this.primaryKey, key)) {
      throw new KeyError("Removing the primary key is not allowed");
    }
    this.#keys = this.#keys.filter((k) => !sameBytes(k, key));
  }

  /** Encrypts with the primary key: `[version][nonce][ciphertext ‖ tag]`. */
  encrypt(plaintext: Uint8Array, aad: Uint8Array, version: EncryptionVersion = 1): Uint8Array {
    const nonce = this.#randomBytes(NONCE_BYTES);
    if (nonce.length !== NONCE_BYTES) throw new Error("randomBytes returned the wrong length");
    let input = plaintext;
    if (version === 0) {
      const pad = BLOCK_BYTES - (plaintext.length % BLOCK_BYTES);
      input = new Uint8Array(plaintext.length + pad).fill(pad);
      input.set(plaintext);
    }
    const sealed = gcmSeal(this.primaryKey, nonce, input, aad);
    const out = new Uint8Array(1 + NONCE_BYTES + sealed.length);
    out[0] = version;
    out.set(nonce, 1);
    out.set(sealed, 1 + NONCE_BYTES);
    return out;
  }

  /**
   * Decrypts a blob with whichever key fits. Throws {@linkcode DecodeError} (reason "decrypt")
   * for an unknown version, a blob too short, or no key verifying the tag.
   */
  decrypt(blob: Uint8Array, aad: Uint8Array): Uint8Array {
    if (blob.length === 0) throw decryptError("Cannot decrypt an empty payload");
    const version = blob[0]!;
    if (version > 1) throw decryptError(`Unsupported encryption version ${version}`);
    const min = encryptedLength(version as EncryptionVersion, 0);
    if (blob.length < min) throw decryptError(`Payload of ${blob.length} bytes is too small`);
    const nonce = blob.subarray(1, 1 + NONCE_BYTES);
    const sealed = blob.subarray(1 + NONCE_BYTES);
    for (const key of this.#keys) {
      const plain = gcmOpen(key, nonce, sealed, aad);
      if (plain === null) continue;
      if (version === 1) return plain;
      // Go strips `last byte` bytes without validating them; refuse what would underflow.
      const pad = plain[plain.length - 1]!;
      if (pad > plain.length) throw decryptError(`Invalid padding length ${pad}`);
      return plain.subarray(0, plain.length - pad);
    }
    throw decryptError("No installed key could decrypt the message");
  }
}
