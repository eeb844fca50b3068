/**
 * `shoal keygen`: a new gossip encryption key, as `serf keygen` prints it.
 *
 * @module
 */

/** Size of generated keys: AES-256, what serf keygen produces. */
export const KEY_BYTES = 32;

/**
 * Returns a base64 key of {@linkcode KEY_BYTES} random bytes.
 *
 * @example
 * ```ts
 * import { generateKey } from "./keygen.ts";
 * console.assert(atob(generateKey()).length === 32);
 * ```
 */
export function generateKey(randomBytes: (n: number) => Uint8Array = defaultRandom): string {
  const bytes = randomBytes(KEY_BYTES);
  return btoa(String.fromCharCode(...bytes));
}

function defaultRandom(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
