/**
 * Sans-IO framing of prompt-mode replies: bytes in, complete reply bodies out.
 *
 * In prompt mode HAProxy ends every command's output with `"\n> "`. Blank-line framing is not
 * reliable on 2.6 (`Server deleted.` has no trailing empty line), so the prompt is the delimiter.
 *
 * @module
 */

import { HaproxyProtocolError } from "./errors.ts";

const DELIMITER = "\n> ";

/** Largest single reply kept in memory (`show stat` with 10,500 servers is about 2.4 MB). */
export const REPLY_BYTES_MAX = 32 * 1024 * 1024;

/**
 * Splits a prompt-mode byte stream into reply bodies.
 *
 * @example
 * ```ts
 * import { PromptFramer } from "./framing.ts";
 * const framer = new PromptFramer();
 * const bodies = framer.push(new TextEncoder().encode("\n> [info]: New server registered.\n\n> "));
 * console.assert(bodies.length === 2 && bodies[0] === "");
 * ```
 */
export class PromptFramer {
  readonly #decoder = new TextDecoder();
  readonly #replyBytesMax: number;
  #buffer = "";
  /** Where the next delimiter search starts; earlier text holds no delimiter. */
  #scanFrom = 0;

  /** Creates a framer that refuses replies longer than `replyBytesMax`. */
  constructor(replyBytesMax: number = REPLY_BYTES_MAX) {
    this.#replyBytesMax = replyBytesMax;
  }

  /** Feeds bytes; returns every reply body completed by them, in order. */
  push(chunk: Uint8Array): string[] {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    const bodies: string[] = [];
    let start = 0;
    let from = this.#scanFrom;
    for (;;) {
      const end = this.#buffer.indexOf(DELIMITER, from);
      if (end < 0) break;
      bodies.push(this.#buffer.slice(start, end));
      start = end + DELIMITER.length;
      from = start;
    }
    this.#buffer = this.#buffer.slice(start);
    this.#scanFrom = Math.max(0, this.#buffer.length - (DELIMITER.length - 1));
    if (this.#buffer.length > this.#replyBytesMax) {
      throw new HaproxyProtocolError(
        `Reply larger than ${this.#replyBytesMax} bytes without a prompt`,
      );
    }
    return bodies;
  }

  /** Bytes received after the last complete reply. */
  get pending(): string {
    return this.#buffer;
  }
}
