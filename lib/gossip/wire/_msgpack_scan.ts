/**
 * A resumable scan for where one msgpack value ends, so a value arriving over many reads is
 * walked once in total (linear in the bytes received) and decoded once when complete. Before it,
 * each read re-parsed the value from its start: quadratic, and a trickled 6.6 MB nested array
 * pinned a core for 10 s (issue 13).
 *
 * @module
 */

import { MsgpackError, MsgpackTruncatedError } from "./_msgpack_base.ts";
import { Reader } from "./_msgpack_reader.ts";

/** Header bytes and payload bytes after the type byte, for fixed-layout types. */
function fixedSize(t: number): number {
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return 0;
    case 0xcc:
    case 0xd0:
      return 1;
    case 0xcd:
    case 0xd1:
      return 2;
    case 0xca:
    case 0xce:
    case 0xd2:
      return 4;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return 8;
  }
  return -1;
}

/** Width of the length field of bin/str/array/map types (0 when not one of them). */
function lengthWidth(t: number): number {
  switch (t) {
    case 0xc4:
    case 0xd9:
      return 1;
    case 0xc5:
    case 0xda:
    case 0xdc:
    case 0xde:
      return 2;
    case 0xc6:
    case 0xdb:
    case 0xdd:
    case 0xdf:
      return 4;
  }
  return 0;
}

function readLength(buf: Uint8Array, at: number, width: number): number {
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + buf[at + i]!;
  return n;
}

/**
 * Finds the end of the msgpack value that starts at `start` of a buffer that only grows (the
 * bytes before `buf.length` never change between calls).
 *
 * @example
 * ```ts
 * import { ValueScanner } from "./_msgpack_scan.ts";
 * const s = new ValueScanner(0);
 * console.assert(s.scan(new Uint8Array([0x92, 1])) === null);
 * console.assert(s.scan(new Uint8Array([0x92, 1, 2])) === 3);
 * ```
 */
export class ValueScanner {
  #pos: number;
  /** Values still to skip before the outermost one is complete. */
  #pending = 1;

  constructor(start: number) {
    this.#pos = start;
  }

  /** Bytes the buffer needs at least (a declared length counts before its bytes arrive). */
  get neededBytes(): number {
    return this.#pos + (this.#pending > 0 ? 1 : 0);
  }

  /** The end offset once the value is complete, else `null`. Throws MsgpackError on bad types. */
  scan(buf: Uint8Array): number | null {
    while (this.#pending > 0) {
      if (this.#pos >= buf.length) return null;
      const t = buf[this.#pos]!;
      let header = 1, payload = 0, children = 0;
      if (t < 0x80 || t >= 0xe0) payload = 0;
      else if (t < 0x90) children = 2 * (t & 0x0f);
      else if (t < 0xa0) children = t & 0x0f;
      else if (t < 0xc0) payload = t & 0x1f;
      else if (fixedSize(t) >= 0) payload = fixedSize(t);
      else {
        const width = lengthWidth(t);
        if (width === 0) {
          throw new MsgpackError(`Unsupported msgpack type byte 0x${t.toString(16)}`);
        }
        if (this.#pos + 1 + width > buf.length) return null;
        const n = readLength(buf, this.#pos + 1, width);
        header += width;
        if (t === 0xdc || t === 0xdd) children = n;
        else if (t === 0xde || t === 0xdf) children = 2 * n;
        else payload = n;
      }
      this.#pos += header + payload;
      this.#pending += children - 1;
    }
    return this.#pos <= buf.length ? this.#pos : null;
  }
}

/**
 * One value read from a growing buffer: scanned as bytes arrive, decoded once complete.
 *
 * @example
 * ```ts
 * import { ScannedValue } from "./_msgpack_scan.ts";
 * const v = new ScannedValue(1);
 * console.assert(v.step(new Uint8Array([9, 0x91]), (r) => r.read()) === null);
 * console.assert(v.step(new Uint8Array([9, 0x91, 7]), (r) => r.read())?.end === 3);
 * ```
 */
export class ScannedValue {
  readonly #scanner: ValueScanner;
  readonly #start: number;

  constructor(start: number) {
    this.#start = start;
    this.#scanner = new ValueScanner(start);
  }

  /** See {@linkcode ValueScanner.neededBytes}. */
  get neededBytes(): number {
    return this.#scanner.neededBytes;
  }

  /** `read` runs once, on a Reader over exactly the value's bytes; `null` until complete. */
  step<T>(buf: Uint8Array, read: (r: Reader) => T): { value: T; end: number } | null {
    const end = this.#scanner.scan(buf);
    if (end === null) return null;
    const r = new Reader(buf.subarray(0, end), this.#start);
    try {
      return { value: read(r), end: r.offset };
    } catch (err) {
      // The bytes are complete: a reader asking for more means the value is malformed.
      if (err instanceof MsgpackTruncatedError) throw new MsgpackError(err.message);
      throw err;
    }
  }
}
