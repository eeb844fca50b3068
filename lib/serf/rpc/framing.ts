/**
 * Framing of serf's agent RPC (wire spec §9): requests are back-to-back msgpack objects with no
 * length prefix, so a reader must find where one complete value ends before decoding it.
 * {@linkcode RpcFrameReader} buffers bytes from a stream and yields complete values; a request
 * larger than its limit or a byte that cannot start a msgpack value is malformed.
 *
 * @example
 * ```ts
 * import { RpcFrameReader } from "./framing.ts";
 * const r = new RpcFrameReader(1024);
 * r.push(Uint8Array.of(0x81, 0xa1, 0x41)); // {"A": … incomplete
 * console.assert(r.next() === undefined);
 * r.push(Uint8Array.of(0x01));
 * console.assert(r.next() instanceof Map);
 * ```
 *
 * @module
 */

import { MsgpackError, type MsgValue, Reader } from "../../gossip/wire/msgpack.ts";

/** Nesting deeper than this is malformed for RPC (its objects nest three levels at most). */
const DEPTH_MAX = 16;

/** Thrown for RPC input that can never become a valid request. */
export class RpcFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RpcFrameError";
  }
}

/**
 * The offset just past the msgpack value at `at`, or `null` when `buf` ends before it does.
 * Throws {@linkcode RpcFrameError} for a byte that starts no value.
 */
export function valueEnd(buf: Uint8Array, at: number, depth = 0): number | null {
  if (depth > DEPTH_MAX) throw new RpcFrameError(`RPC value nested deeper than ${DEPTH_MAX}`);
  if (at >= buf.length) return null;
  const t = buf[at]!;
  const len = (n: number): number | null => {
    if (at + 1 + n > buf.length) return null;
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + buf[at + 1 + i]!;
    return v;
  };
  const skip = (header: number, body: number | null) =>
    body === null ? null : at + header + body > buf.length ? null : at + header + body;
  const items = (header: number, n: number | null, perItem: number): number | null => {
    if (n === null) return null;
    let p: number | null = at + header;
    for (let i = 0; i < n * perItem && p !== null; i++) p = valueEnd(buf, p, depth + 1);
    return p;
  };
  if (t < 0x80 || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return at + 1;
  if (t >= 0xa0 && t < 0xc0) return skip(1, t & 0x1f);
  if (t >= 0x90 && t < 0xa0) return items(1, t & 0x0f, 1);
  if (t >= 0x80 && t < 0x90) return items(1, t & 0x0f, 2);
  const fixed: Record<number, number> = {
    0xca: 4,
    0xcb: 8,
    0xcc: 1,
    0xcd: 2,
    0xce: 4,
    0xcf: 8,
    0xd0: 1,
    0xd1: 2,
    0xd2: 4,
    0xd3: 8,
  };
  if (fixed[t] !== undefined) return skip(1, fixed[t]!);
  switch (t) {
    case 0xc4:
    case 0xd9:
      return skip(2, len(1));
    case 0xc5:
    case 0xda:
      return skip(3, len(2));
    case 0xc6:
    case 0xdb:
      return skip(5, len(4));
    case 0xdc:
      return items(3, len(2), 1);
    case 0xdd:
      return items(5, len(4), 1);
    case 0xde:
      return items(3, len(2), 2);
    case 0xdf:
      return items(5, len(4), 2);
  }
  throw new RpcFrameError(`Byte 0x${t.toString(16)} cannot start an RPC msgpack value`);
}

/** Buffers stream bytes and returns complete msgpack values. */
export class RpcFrameReader {
  #buf = new Uint8Array(0);
  readonly #maxBytes: number;

  /** `maxBytes` bounds one request and the bytes buffered while it is incomplete. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds bytes read from the stream. */
  push(bytes: Uint8Array): void {
    const next = new Uint8Array(this.#buf.length + bytes.length);
    next.set(this.#buf);
    next.set(bytes, this.#buf.length);
    this.#buf = next;
  }

  /** The next complete value, or `undefined` until more bytes arrive. Throws RpcFrameError. */
  next(): MsgValue | undefined {
    if (this.#buf.length === 0) return undefined;
    const end = valueEnd(this.#buf, 0);
    if (end === null) {
      if (this.#buf.length > this.#maxBytes) {
        throw new RpcFrameError(`RPC request exceeds ${this.#maxBytes} bytes`);
      }
      return undefined;
    }
    if (end > this.#maxBytes) {
      throw new RpcFrameError(`RPC request exceeds ${this.#maxBytes} bytes`);
    }
    const bytes = this.#buf.subarray(0, end);
    this.#buf = this.#buf.slice(end);
    try {
      return new Reader(bytes).read();
    } catch (e) {
      if (e instanceof MsgpackError) throw new RpcFrameError(e.message);
      throw e;
    }
  }
}
