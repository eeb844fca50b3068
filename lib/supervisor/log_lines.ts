/**
 * Log-worker mode: the worker's stdout/stderr split into lines and logged as structured events.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";

/** Longest line kept; longer lines are cut here and continued as a new line (bounded memory). */
export const LINE_BYTES_MAX = 16 * 1024;

/**
 * Splits a byte stream into lines (without the `\n`, and a trailing `\r` removed). Pure.
 *
 * @example
 * ```ts
 * import { LineSplitter } from "./log_lines.ts";
 * const s = new LineSplitter();
 * const enc = new TextEncoder();
 * console.assert(s.push(enc.encode("a\nb")).join() === "a");
 * console.assert(s.push(enc.encode("c\n")).join() === "bc");
 * ```
 */
export class LineSplitter {
  readonly #maxBytes: number;
  #pending = new Uint8Array(0);
  readonly #decoder = new TextDecoder();

  constructor(maxBytes: number = LINE_BYTES_MAX) {
    this.#maxBytes = maxBytes;
  }

  /** Feeds bytes; returns the lines they complete. */
  push(chunk: Uint8Array): string[] {
    const buf = new Uint8Array(this.#pending.length + chunk.length);
    buf.set(this.#pending);
    buf.set(chunk, this.#pending.length);
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] === 0x0a || i - start >= this.#maxBytes) {
        lines.push(this.#text(buf.subarray(start, i)));
        start = buf[i] === 0x0a ? i + 1 : i;
      }
    }
    this.#pending = buf.slice(start);
    return lines;
  }

  /** The unterminated rest, if any. */
  flush(): string[] {
    const rest = this.#pending;
    this.#pending = new Uint8Array(0);
    return rest.length === 0 ? [] : [this.#text(rest)];
  }

  #text(bytes: Uint8Array): string {
    const s = this.#decoder.decode(bytes);
    return s.endsWith("\r") ? s.slice(0, -1) : s;
  }
}

/** Logs every line of `stream` as `event` with a `line` field; resolves at EOF. */
export async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  logger: Logger,
  event: string,
): Promise<void> {
  const splitter = new LineSplitter();
  for await (const chunk of stream) {
    for (const line of splitter.push(chunk)) logger.info(event, { line });
  }
  for (const line of splitter.flush()) logger.info(event, { line });
}
