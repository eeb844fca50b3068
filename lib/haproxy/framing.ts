/**
 * Sans-IO framing of prompt-mode replies: bytes in, complete reply bodies out.
 *
 * In prompt mode HAProxy ends every command's output with `"\n> "`. Blank-line framing is not
 * reliable on 2.6 (`Server deleted.` has no trailing empty line), so the prompt is the delimiter.
 * The delimiter is ASCII, so it is searched in the raw bytes; a body is decoded from UTF-8 only
 * once it is complete, which also keeps multi-byte characters split across reads intact.
 *
 * @module
 */

import { HaproxyProtocolError } from "./errors.ts";

const NEWLINE = 0x0a;
const GT = 0x3e;
const SPACE = 0x20;
const DELIMITER_BYTES = 3;

/** Largest single reply kept in memory (`show stat` with 10,500 servers is about 2.4 MB). */
export const REPLY_BYTES_MAX = 32 * 1024 * 1024;

const INITIAL_CAPACITY_BYTES = 4096;

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
  #buffer = new Uint8Array(INITIAL_CAPACITY_BYTES);
  /** Bytes of `#buffer` in use: the start of a reply that has not ended yet. */
  #length = 0;
  /** Where the next delimiter search starts; earlier bytes hold no delimiter. */
  #scanFrom = 0;

  /** Creates a framer that refuses replies longer than `replyBytesMax` bytes. */
  constructor(replyBytesMax: number = REPLY_BYTES_MAX) {
    this.#replyBytesMax = replyBytesMax;
  }

  /** Feeds bytes; returns every reply body completed by them, in order. */
  push(chunk: Uint8Array): string[] {
    this.#append(chunk);
    const bodies: string[] = [];
    let start = 0;
    let from = this.#scanFrom;
    for (;;) {
      const end = this.#findDelimiter(from);
      if (end < 0) break;
      bodies.push(this.#decoder.decode(this.#buffer.subarray(start, end)));
      start = end + DELIMITER_BYTES;
      from = start;
    }
    if (start > 0) {
      this.#buffer.copyWithin(0, start, this.#length);
      this.#length -= start;
    }
    this.#scanFrom = Math.max(0, this.#length - (DELIMITER_BYTES - 1));
    if (this.#length > this.#replyBytesMax) {
      throw new HaproxyProtocolError(
        `Reply larger than ${this.#replyBytesMax} bytes without a prompt`,
      );
    }
    return bodies;
  }

  /** Bytes received after the last complete reply, decoded. */
  get pending(): string {
    return this.#decoder.decode(this.#buffer.subarray(0, this.#length));
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      let capacity = this.#buffer.length;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
  }

  #findDelimiter(from: number): number {
    const view = this.#buffer.subarray(0, this.#length);
    for (let at = view.indexOf(NEWLINE, from); at >= 0; at = view.indexOf(NEWLINE, at + 1)) {
      if (at + DELIMITER_BYTES > view.length) return -1;
      if (view[at + 1] === GT && view[at + 2] === SPACE) return at;
    }
    return -1;
  }
}
