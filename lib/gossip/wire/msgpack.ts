/**
 * msgpack with Go's (hashicorp/go-msgpack) conventions, as memberlist and serf put it on the wire.
 *
 * Encoding follows the old codec, which every Go version decodes: strings and byte slices both as the
 * "raw" str family (fixstr, str16, str32; never str8 or bin), non-negative integers in the smallest
 * unsigned form, floats always as float64, `null` for nil. Decoding accepts everything either Go codec
 * generation emits: the whole str and bin families (returned as bytes, never as text), every integer
 * form, float32/64, nil.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./msgpack.ts";
 * const bytes = encode({ SeqNo: 7, Node: "a" });
 * const back = decode(bytes) as Map<string, unknown>;
 * console.assert(back.get("SeqNo") === 7);
 * ```
 *
 * @module
 */

/** A decoded msgpack value. Strings and binaries both decode to bytes. */
export type MsgValue =
  | null
  | boolean
  | number
  | bigint
  | Uint8Array
  | MsgValue[]
  | Map<string, MsgValue>;

/** A value {@linkcode encode} accepts. Objects and Maps become msgpack maps in iteration order. */
export type EncValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float64
  | Bin
  | readonly EncValue[]
  | ReadonlyMap<string, EncValue>
  | { readonly [key: string]: EncValue };

/** Marks a number to be written as float64 (`0xcb`), even when it is integral. */
export class Float64 {
  constructor(readonly value: number) {}
}

/** Marks bytes to be written in the bin family (`0xc4..0xc6`), as serf's RPC codec does. */
export class Bin {
  constructor(readonly bytes: Uint8Array) {}
}

/** Thrown for any malformed, truncated or unsupported msgpack input. */
export class MsgpackError extends Error {
  override name = "MsgpackError";
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: false });

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

/** A string from UTF-8 bytes (invalid sequences become U+FFFD). */
export function fromUtf8(b: Uint8Array): string {
  return textDecoder.decode(b);
}

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
    const bytes = typeof b === "string" ? utf8(b) : b;
    const n = bytes.length;
    if (n < 32) this.u8(0xa0 | n);
    else if (n < 0x10000) (this.u8(0xda), this.u16(n));
    else (this.u8(0xdb), this.u32(n));
    this.raw(bytes);
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

/** Nesting deeper than this is refused: nothing on our wire nests more than a few levels. */
const DEPTH_MAX = 32;

/** Reads msgpack values one after another from a byte array. */
export class Reader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;

  constructor(buf: Uint8Array, offset = 0) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = offset;
  }

  /** Offset of the next unread byte. */
  get offset(): number {
    return this.#pos;
  }
  /** Bytes not read yet. */
  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) {
      throw new MsgpackError(`Truncated msgpack: need ${n} bytes at offset ${this.#pos}`);
    }
  }
  #u8(): number {
    this.#need(1);
    return this.#buf[this.#pos++]!;
  }
  #u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }
  #u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }
  #bytes(n: number): Uint8Array {
    this.#need(n);
    const b = this.#buf.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }
  #u64(): number | bigint {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#pos);
    this.#pos += 8;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  #i64(): number | bigint {
    this.#need(8);
    const v = this.#view.getBigInt64(this.#pos);
    this.#pos += 8;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }
  /** Raw bytes that follow, outside msgpack (e.g. serf user state after a push/pull header). */
  rawBytes(n: number): Uint8Array {
    return this.#bytes(n);
  }

  /** Reads the next value. */
  read(depth = 0): MsgValue {
    if (depth > DEPTH_MAX) throw new MsgpackError(`msgpack nested deeper than ${DEPTH_MAX}`);
    const t = this.#u8();
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0xa0 && t < 0xc0) return this.#bytes(t & 0x1f);
    if (t >= 0x90 && t < 0xa0) return this.#array(t & 0x0f, depth);
    if (t >= 0x80 && t < 0x90) return this.#map(t & 0x0f, depth);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.#bytes(this.#u8());
      case 0xc5:
      case 0xda:
        return this.#bytes(this.#u16());
      case 0xc6:
      case 0xdb:
        return this.#bytes(this.#u32());
      case 0xca: {
        this.#need(4);
        const v = this.#view.getFloat32(this.#pos);
        this.#pos += 4;
        return v;
      }
      case 0xcb: {
        this.#need(8);
        const v = this.#view.getFloat64(this.#pos);
        this.#pos += 8;
        return v;
      }
      case 0xcc:
        return this.#u8();
      case 0xcd:
        return this.#u16();
      case 0xce:
        return this.#u32();
      case 0xcf:
        return this.#u64();
      case 0xd0:
        return (this.#u8() << 24) >> 24;
      case 0xd1:
        return (this.#u16() << 16) >> 16;
      case 0xd2:
        return this.#u32() | 0;
      case 0xd3:
        return this.#i64();
      case 0xdc:
        return this.#array(this.#u16(), depth);
      case 0xdd:
        return this.#array(this.#u32(), depth);
      case 0xde:
        return this.#map(this.#u16(), depth);
      case 0xdf:
        return this.#map(this.#u32(), depth);
    }
    throw new MsgpackError(`Unsupported msgpack type byte 0x${t.toString(16)}`);
  }

  #array(n: number, depth: number): MsgValue[] {
    // Every element takes at least one byte: a length beyond the input is malformed, not a reason
    // to allocate.
    if (n > this.remaining) throw new MsgpackError(`msgpack array of ${n} exceeds the input`);
    const out: MsgValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.read(depth + 1));
    return out;
  }

  #map(n: number, depth: number): Map<string, MsgValue> {
    if (2 * n > this.remaining) throw new MsgpackError(`msgpack map of ${n} exceeds the input`);
    const out = new Map<string, MsgValue>();
    for (let i = 0; i < n; i++) {
      const key = this.read(depth + 1);
      if (!(key instanceof Uint8Array)) throw new MsgpackError("msgpack map key is not a string");
      out.set(fromUtf8(key), this.read(depth + 1));
    }
    return out;
  }
}

/** Decodes exactly one value; trailing bytes are an error. */
export function decode(buf: Uint8Array): MsgValue {
  const r = new Reader(buf);
  const v = r.read();
  if (r.remaining !== 0) {
    throw new MsgpackError(`${r.remaining} trailing bytes after msgpack value`);
  }
  return v;
}
