/**
 * The msgpack reader (see `msgpack.ts` for what it accepts).
 *
 * @module
 */

import { fromUtf8, MsgpackError, MsgpackTruncatedError, type MsgValue } from "./_msgpack_base.ts";

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
      throw new MsgpackTruncatedError(
        `Truncated msgpack: need ${n} bytes at offset ${this.#pos}`,
        this.#pos + n,
      );
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
    if (n > this.remaining) {
      throw new MsgpackTruncatedError(`msgpack array of ${n} exceeds the input`, this.#pos + n);
    }
    const out: MsgValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.read(depth + 1));
    return out;
  }

  #map(n: number, depth: number): Map<string, MsgValue> {
    if (2 * n > this.remaining) {
      throw new MsgpackTruncatedError(`msgpack map of ${n} exceeds the input`, this.#pos + 2 * n);
    }
    const out = new Map<string, MsgValue>();
    for (let i = 0; i < n; i++) {
      let key = this.#asciiKey();
      if (key === null) {
        const raw = this.read(depth + 1);
        if (!(raw instanceof Uint8Array)) throw new MsgpackError("msgpack map key is not a string");
        key = fromUtf8(raw);
      }
      out.set(key, this.read(depth + 1));
    }
    return out;
  }

  /**
   * A complete fixstr of ASCII at the read position, as a string, without the copy and the
   * TextDecoder call of the general path (push/pull states are mostly map keys); null, having
   * read nothing, for anything else.
   */
  #asciiKey(): string | null {
    const buf = this.#buf;
    const t = buf[this.#pos];
    if (t === undefined || t < 0xa0 || t >= 0xc0) return null;
    const start = this.#pos + 1;
    const end = start + (t & 0x1f);
    if (end > buf.length) return null;
    let key = "";
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return null;
      key += String.fromCharCode(c);
    }
    this.#pos = end;
    return key;
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
