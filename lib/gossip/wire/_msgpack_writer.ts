/**
 * The msgpack writer (see `msgpack.ts` for the Go conventions it follows).
 *
 * @module
 */

import { Bin, type EncValue, Float64, MsgpackError, utf8 } from "./_msgpack_base.ts";

/** Appends msgpack to a growable buffer. */
export class Writer {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** The bytes written so far (a copy). */
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = v;
  }
  u16(v: number): void {
    this.#ensure(2);
    this.#view.setUint16(this.#len, v);
    this.#len += 2;
  }
  u32(v: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.#len, v);
    this.#len += 4;
  }
  u64(v: bigint): void {
    this.#ensure(8);
    this.#view.setBigUint64(this.#len, v);
    this.#len += 8;
  }
  raw(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  nil(): void {
    this.u8(0xc0);
  }
  bool(v: boolean): void {
    this.u8(v ? 0xc3 : 0xc2);
  }
  /** An integer: non-negative in the smallest unsigned form, negative in the smallest signed form. */
  int(v: number | bigint): void {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new MsgpackError(`Cannot encode ${v} as an integer`);
      if (v >= 0) return this.#uint(v);
      if (v >= -32) return this.u8(0x100 + v);
      if (v >= -128) return (this.u8(0xd0), this.u8(0x100 + v));
      if (v >= -32768) return (this.u8(0xd1), this.u16(0x10000 + v));
      if (v >= -2147483648) return (this.u8(0xd2), this.u32(0x100000000 + v));
      return (this.u8(0xd3), this.u64(BigInt.asUintN(64, BigInt(v))));
    }
    if (v < 0n) {
      this.u8(0xd3);
      return this.u64(BigInt.asUintN(64, v));
    }
    if (v > 0xffffffffffffffffn) throw new MsgpackError(`Cannot encode ${v}: above 2^64-1`);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return this.#uint(Number(v));
    this.u8(0xcf);
    this.u64(v);
  }
  #uint(v: number): void {
    if (v < 0x80) return this.u8(v);
    if (v < 0x100) return (this.u8(0xcc), this.u8(v));
    if (v < 0x10000) return (this.u8(0xcd), this.u16(v));
    if (v < 0x100000000) return (this.u8(0xce), this.u32(v));
    this.u8(0xcf);
    this.u64(BigInt(v));
  }
  float64(v: number): void {
    this.#ensure(9);
    this.#buf[this.#len++] = 0xcb;
    this.#view.setFloat64(this.#len, v);
    this.#len += 8;
  }
  /** Bytes in the str ("raw") family: fixstr, str16 or str32, as Go's old codec writes them. */
  str(b: Uint8Array | string): void {
    if (typeof b === "string" && this.#ascii(b)) return;
    const bytes = typeof b === "string" ? utf8(b) : b;
    const n = bytes.length;
    if (n < 32) this.u8(0xa0 | n);
    else if (n < 0x10000) (this.u8(0xda), this.u16(n));
    else (this.u8(0xdb), this.u32(n));
    this.raw(bytes);
  }
  /**
   * Writes `s` as a str when it is short ASCII, byte for byte what {@linkcode Writer.str} writes
   * through UTF-8 but without a TextEncoder call and its allocation (map keys and node names are
   * most of a push/pull); false, having written nothing, otherwise.
   */
  #ascii(s: string): boolean {
    const n = s.length;
    if (n >= 32) return false;
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return false;
    this.#ensure(n + 1);
    const buf = this.#buf;
    let at = this.#len;
    buf[at++] = 0xa0 | n;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.#len = at;
    return true;
  }
  /** Bytes in the bin family. */
  bin(b: Uint8Array): void {
    const n = b.length;
    if (n < 0x100) (this.u8(0xc4), this.u8(n));
    else if (n < 0x10000) (this.u8(0xc5), this.u16(n));
    else (this.u8(0xc6), this.u32(n));
    this.raw(b);
  }
  arrayHeader(n: number): void {
    if (n < 16) this.u8(0x90 | n);
    else if (n < 0x10000) (this.u8(0xdc), this.u16(n));
    else (this.u8(0xdd), this.u32(n));
  }
  mapHeader(n: number): void {
    if (n < 16) this.u8(0x80 | n);
    else if (n < 0x10000) (this.u8(0xde), this.u16(n));
    else (this.u8(0xdf), this.u32(n));
  }

  /** Writes any {@linkcode EncValue}; `undefined` object entries are left out (Go's omitempty). */
  value(v: EncValue): void {
    if (v === null || v === undefined) return this.nil();
    switch (typeof v) {
      case "boolean":
        return this.bool(v);
      case "number":
      case "bigint":
        return this.int(v);
      case "string":
        return this.str(v);
    }
    if (v instanceof Uint8Array) return this.str(v);
    if (v instanceof Float64) return this.float64(v.value);
    if (v instanceof Bin) return this.bin(v.bytes);
    if (Array.isArray(v)) {
      this.arrayHeader(v.length);
      for (const item of v) this.value(item);
      return;
    }
    const entries = v instanceof Map
      ? [...(v as ReadonlyMap<string, EncValue>).entries()]
      : Object.entries(v as Record<string, EncValue>);
    const present = entries.filter(([, val]) => val !== undefined);
    this.mapHeader(present.length);
    for (const [key, val] of present) {
      this.str(key);
      this.value(val);
    }
  }
}

/** Encodes one value. */
export function encode(v: EncValue): Uint8Array {
  const w = new Writer();
  w.value(v);
  return w.bytes();
}
