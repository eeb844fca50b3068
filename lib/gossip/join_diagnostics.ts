/**
 * Telling an operator why gossip does not work (issue 12 item 6): the cause of a failed join
 * (DNS, refused, timeout, decryption), and a rate-limited warning for traffic that does not
 * decrypt (a key mismatch shows on both sides, not only at debug level).
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { DecodeError } from "./wire/mod.ts";

/** Why one join target failed. */
export type JoinCause = "dns" | "refused" | "timeout" | "decrypt" | "error";

/** A join target whose host name resolved to no address. */
export class JoinDnsError extends Error {
  override name = "JoinDnsError";
}

/**
 * The cause of a failed join attempt.
 *
 * @example
 * ```ts
 * import { joinCause } from "./join_diagnostics.ts";
 * console.assert(joinCause(new Deno.errors.ConnectionRefused("refused")) === "refused");
 * ```
 */
export function joinCause(err: unknown): JoinCause {
  if (err instanceof JoinDnsError) return "dns";
  if (err instanceof DecodeError && err.reason === "decrypt") return "decrypt";
  if (err instanceof Deno.errors.ConnectionRefused) return "refused";
  if (err instanceof Deno.errors.TimedOut) return "timeout";
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  if (/timed? ?out|timeout/i.test(text)) return "timeout";
  if (/refused/i.test(text)) return "refused";
  if (/decrypt/i.test(text)) return "decrypt";
  if (/dns|resolve|name or service/i.test(text)) return "dns";
  return "error";
}

/** Shortest time between two decryption warnings. */
export const DECRYPT_WARN_INTERVAL_MS = 10_000;

/**
 * Warns `gossip.decrypt_failed` at most once per {@linkcode DECRYPT_WARN_INTERVAL_MS}, with how
 * many failures were not logged since the last warning.
 */
export class DecryptWarner {
  readonly #clock: Clock;
  readonly #log: Logger;
  #lastMs = -Infinity;
  #suppressed = 0;

  constructor(clock: Clock, log: Logger) {
    this.#clock = clock;
    this.#log = log;
  }

  /** One packet or stream from `from` did not decrypt. */
  failed(from: string, via: "packet" | "stream", error: string): void {
    const now = this.#clock.nowMs();
    if (now - this.#lastMs < DECRYPT_WARN_INTERVAL_MS) {
      this.#suppressed++;
      return;
    }
    this.#log.warn("gossip.decrypt_failed", {
      from,
      via,
      error,
      suppressed: this.#suppressed,
      hint: "the sender's --encrypt key is not in our keyring (or it sends plaintext)",
    });
    this.#lastMs = now;
    this.#suppressed = 0;
  }
}
