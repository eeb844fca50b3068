/**
 * LZW exactly as Go's `compress/lzw` with LSB order and 8-bit literals, the algorithm memberlist
 * uses for its compress message (wire spec §1.6). GIF flavour: CLEAR = 256, EOF = 257, codes grow
 * from 9 to 12 bits when the next code reaches 2^width (no TIFF "early change").
 *
 * The encoder is byte-identical to Go (leading CLEAR, a CLEAR when the table fills at 4095). The
 * decoder requires the EOF code and refuses to produce more than a caller-given number of bytes,
 * because a few kilobytes of LZW can expand a thousandfold.
 *
 * @example
 * ```ts
 * import { lzwCompress, lzwDecompress } from "./lzw.ts";
 * const packed = lzwCompress(new TextEncoder().encode("ABABABA"));
 * console.assert(new TextDecoder().decode(lzwDecompress(packed)) === "ABABABA");
 * ```
 *
 * @module
 */

import { DecodeError } from "./errors.ts";

const CLEAR = 256;
const EOF = 257;
const WIDTH_MIN = 9;
const WIDTH_MAX = 12;
/** The highest code; when the encoder's next code reaches it, the table is cleared. */
const CODE_MAX = (1 << WIDTH_MAX) - 1;
/** Encoder hash table: four slots per possible code keeps probe chains short. */
const TABLE_SIZE = 4 << WIDTH_MAX;
const TABLE_MASK = TABLE_SIZE - 1;

/**
 * Default bound on decompressed output: Go's own limit (memberlist HEAD refuses more than 40 MiB
 * of decompressed state). Callers on the UDP path pass a much smaller bound.
 */
export const LZW_OUTPUT_MAX_BYTES = 40 * 1024 * 1024;

/** Packs variable-width codes least-significant-bit first. */
class BitWriter {
  #out: Uint8Array;
  #len = 0;
  #bits = 0;
  #nBits = 0;
  constructor(sizeHint: number) {
    this.#out = new Uint8Array(Math.max(16, sizeHint));
  }
  write(code: number, width: number): void {
    this.#bits |= code << this.#nBits;
    this.#nBits += width;
    while (this.#nBits >= 8) {
      this.#push(this.#bits & 0xff);
      this.#bits >>>= 8;
      this.#nBits -= 8;
    }
  }
  #push(byte: number): void {
    if (this.#len === this.#out.length) {
      const next = new Uint8Array(this.#out.length * 2);
      next.set(this.#out);
      this.#out = next;
    }
    this.#out[this.#len++] = byte;
  }
  finish(): Uint8Array {
    if (this.#nBits > 0) this.#push(this.#bits & 0xff);
    return this.#out.slice(0, this.#len);
  }
}

/**
 * Compresses `input` into a Go-identical LZW stream (LSB, literal width 8).
 *
 * @example
 * ```ts
 * import { lzwCompress } from "./lzw.ts";
 * console.assert(lzwCompress(new Uint8Array(0)).join() === "1,1");
 * ```
 */
export function lzwCompress(input: Uint8Array): Uint8Array {
  const out = new BitWriter(input.length / 2 + 8);
  if (input.length === 0) {
    out.write(EOF, WIDTH_MIN);
    return out.finish();
  }
  // Dictionary (prefix code << 8 | byte) -> code, as an open-addressing hash table of
  // `key << 12 | code` entries; 0 marks an empty slot (no valid entry is 0: codes start at 258).
  const table = new Uint32Array(TABLE_SIZE);
  let width = WIDTH_MIN;
  let hi = EOF;
  let overflow = 1 << WIDTH_MIN;
  /** Go's incHi: advances the implied next code; true when the table was just reset. */
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi !== CODE_MAX) return false;
    out.write(CLEAR, width);
    width = WIDTH_MIN;
    hi = EOF;
    overflow = 1 << WIDTH_MIN;
    table.fill(0);
    return true;
  };
  out.write(CLEAR, width);
  let code = input[0]!;
  next: for (let i = 1; i < input.length; i++) {
    const x = input[i]!;
    const key = (code << 8) | x;
    let h = ((key >>> 12) ^ key) & TABLE_MASK;
    for (let t = table[h]!; t !== 0; t = table[h]!) {
      if (t >>> 12 === key) {
        code = t & CODE_MAX;
        continue next;
      }
      h = (h + 1) & TABLE_MASK;
    }
    out.write(code, width);
    code = x;
    if (!incHi()) table[h] = ((key << 12) | hi) >>> 0;
  }
  out.write(code, width);
  incHi();
  out.write(EOF, width);
  return out.finish();
}

/** Options for {@linkcode lzwDecompress}. */
export interface LzwDecompressOptions {
  /**
   * Refuse (reason "too-large") to produce more than this many bytes.
   * @default {LZW_OUTPUT_MAX_BYTES}
   */
  outputMaxBytes?: number | undefined;
}

/** A growable output buffer with a hard size limit. */
class BoundedOutput {
  #buf: Uint8Array;
  len = 0;
  constructor(sizeHint: number, readonly maxBytes: number) {
    this.#buf = new Uint8Array(Math.min(Math.max(64, sizeHint), maxBytes + 1));
  }
  reserve(n: number): void {
    const need = this.len + n;
    if (need > this.maxBytes) {
      throw new DecodeError(`LZW output exceeds ${this.maxBytes} bytes`, { reason: "too-large" });
    }
    if (need <= this.#buf.length) return;
    const next = new Uint8Array(Math.min(Math.max(need, this.#buf.length * 2), this.maxBytes));
    next.set(this.#buf.subarray(0, this.len));
    this.#buf = next;
  }
  get buf(): Uint8Array {
    return this.#buf;
  }
  result(): Uint8Array {
    return this.#buf.slice(0, this.len);
  }
}

function lzwError(message: string): DecodeError {
  return new DecodeError(`Invalid LZW stream: ${message}`, { reason: "lzw" });
}

/**
 * Decompresses a Go `compress/lzw` stream (LSB, literal width 8). Throws {@linkcode DecodeError}
 * with reason "lzw" for an invalid code or a missing EOF code, "too-large" beyond the limit.
 *
 * @example
 * ```ts
 * import { lzwDecompress } from "./lzw.ts";
 * const out = lzwDecompress(new Uint8Array([0x00, 0x83, 0x04, 0x04]));
 * console.assert(new TextDecoder().decode(out) === "A");
 * ```
 */
export function lzwDecompress(input: Uint8Array, options: LzwDecompressOptions = {}): Uint8Array {
  const out = new BoundedOutput(input.length * 3, options.outputMaxBytes ?? LZW_OUTPUT_MAX_BYTES);
  const prefix = new Uint16Array(1 << WIDTH_MAX);
  const suffix = new Uint8Array(1 << WIDTH_MAX);
  /** Expansion length of each code, 0 when undefined. */
  const length = new Uint16Array(1 << WIDTH_MAX);
  for (let i = 0; i < CLEAR; i++) length[i] = 1;
  let width = WIDTH_MIN, hi = EOF, overflow = 1 << WIDTH_MIN, last = -1;
  let bits = 0, nBits = 0, pos = 0;
  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) throw lzwError("unexpected end of input before the EOF code");
      bits |= input[pos++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;
    if (code === CLEAR) {
      width = WIDTH_MIN, hi = EOF, overflow = 1 << WIDTH_MIN, last = -1;
      continue;
    }
    if (code === EOF) return out.result();
    if (code > hi) throw lzwError(`code ${code} above the next code ${hi}`);
    const kwkwk = code === hi && last >= 0;
    const base = kwkwk ? last : code;
    const n = length[base]!;
    if (n === 0) throw lzwError(`code ${code} is not defined`);
    const total = kwkwk ? n + 1 : n;
    out.reserve(total);
    const buf = out.buf;
    let c = base;
    for (let i = out.len + n - 1; i >= out.len; i--) {
      buf[i] = c < CLEAR ? c : suffix[c]!;
      c = c < CLEAR ? c : prefix[c]!;
    }
    const first = buf[out.len]!;
    if (kwkwk) buf[out.len + n] = first;
    out.len += total;
    if (last >= 0) {
      prefix[hi] = last;
      suffix[hi] = first;
      length[hi] = length[last]! + 1;
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === WIDTH_MAX) {
        // Table full: it stays frozen until the next CLEAR.
        last = -1;
        hi--;
      } else {
        width++;
        overflow <<= 1;
      }
    }
  }
}
