/**
 * A small proto3 binary codec for flat messages of `uint32`, `string` and `bool` fields, which is
 * all `proto/shoal.proto` uses. It replaces a general protobuf runtime in the process: that runtime
 * (and the npm compatibility layer it pulls in) cost about 9 MB of resident memory in every
 * `shoal task`, the process a fleet runs once per worker. `tests/proto_conformance.test.ts` checks
 * it byte for byte against the code `deno task proto` generates with `@bufbuild/protobuf`.
 *
 * Decoding follows the protobuf specification for untrusted input: unknown fields are skipped, a
 * known field that arrives with another wire type is treated as unknown (as Go's runtime does, the
 * Go shoal's), the last occurrence of a field wins, strings must be valid UTF-8, and any
 * truncation or malformed varint is a {@linkcode ProtoDecodeError}.
 *
 * @module
 */

/** The scalar types shoal's messages use. */
export type ScalarKind = "uint32" | "string" | "bool";

/** One field of a message: its number, the key it has in the TypeScript object, its type. */
export interface FieldSpec {
  readonly no: number;
  readonly key: string;
  readonly kind: ScalarKind;
  /** `optional` in the .proto: explicit presence (absent is `undefined`, a set zero is written). */
  readonly optional: boolean;
}

/** A message type: its full protobuf name and fields. `T` is the decoded shape. */
export interface MessageSchema<T> {
  readonly typeName: string;
  readonly fields: readonly FieldSpec[];
  /** Type-level only: the decoded shape. */
  readonly _shape?: T;
}

/** Thrown when bytes are not a valid encoding of the expected message. */
export class ProtoDecodeError extends Error {
  override name = "ProtoDecodeError";
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
/** A varint is at most 10 bytes (64 bits, 7 per byte). */
const VARINT_BYTES_MAX = 10;
const UINT32_MAX = 0xffff_ffff;
/** The largest field number protobuf allows (2^29 - 1). */
const FIELD_NUMBER_MAX = 0x1fff_ffff;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function wireTypeOf(kind: ScalarKind): number {
  return kind === "string" ? WIRE_LEN : WIRE_VARINT;
}

function defaultOf(kind: ScalarKind): number | string | boolean {
  return kind === "string" ? "" : kind === "bool" ? false : 0;
}

/** Declares a message schema (fields in field-number order, as the encoder writes them). */
export function messageSchema<T>(typeName: string, fields: readonly FieldSpec[]): MessageSchema<T> {
  const sorted = [...fields].sort((a, b) => a.no - b.no);
  return Object.freeze({ typeName, fields: Object.freeze(sorted) });
}

class Writer {
  readonly #bytes: number[] = [];

  varint(value: number): void {
    let v = value;
    while (v > 0x7f) {
      this.#bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.#bytes.push(v);
  }

  raw(bytes: Uint8Array): void {
    for (const b of bytes) this.#bytes.push(b);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/**
 * Encodes `init` (fields of the message; absent ones take their defaults). Throws a plain `Error`
 * for a value of the wrong type or out of range: that is a bug in the caller, not bad input.
 */
export function encodeMessage<T>(schema: MessageSchema<T>, init: Partial<T>): Uint8Array {
  const w = new Writer();
  const values = init as Record<string, unknown>;
  for (const f of schema.fields) {
    const value = values[f.key];
    if (value === undefined) continue;
    if (!f.optional && value === defaultOf(f.kind)) continue; // proto3: defaults are not written
    w.varint(f.no * 8 + wireTypeOf(f.kind));
    if (f.kind === "string") {
      if (typeof value !== "string") throw new Error(`${schema.typeName}.${f.key}: not a string`);
      const bytes = utf8.encode(value);
      w.varint(bytes.length);
      w.raw(bytes);
    } else if (f.kind === "bool") {
      if (typeof value !== "boolean") throw new Error(`${schema.typeName}.${f.key}: not a bool`);
      w.varint(value ? 1 : 0);
    } else {
      if (
        typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UINT32_MAX
      ) {
        throw new Error(`${schema.typeName}.${f.key}: invalid uint32 ${String(value)}`);
      }
      w.varint(value);
    }
  }
  return w.finish();
}

class Reader {
  #pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#pos >= this.bytes.length;
  }

  /**
   * A varint: its low 32 bits (a `uint32` field keeps only those, as protobuf's int truncation
   * says), whether any bit is set (`bool`), and whether it fits 32 bits in at most 5 bytes.
   */
  varint(): { low32: number; nonZero: boolean; fits32: boolean } {
    let low32 = 0;
    let nonZero = false;
    let fits32 = true;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      if (this.#pos >= this.bytes.length) throw new ProtoDecodeError("truncated varint");
      const b = this.bytes[this.#pos++]!;
      if ((b & 0x7f) !== 0) nonZero = true;
      if (i < 5) low32 = (low32 + (b & 0x7f) * 2 ** (7 * i)) % 2 ** 32;
      if (i > 4 || (i === 4 && (b & 0x70) !== 0)) fits32 = false;
      if ((b & 0x80) === 0) return { low32, nonZero, fits32 };
    }
    throw new ProtoDecodeError("varint longer than 10 bytes");
  }

  /** A tag or a length: a varint that must fit 32 bits. */
  uint32(what: string): number {
    const v = this.varint();
    if (!v.fits32) throw new ProtoDecodeError(`${what} overflows 32 bits`);
    return v.low32;
  }

  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.#pos) {
      throw new ProtoDecodeError(`field of ${n} bytes runs past the end`);
    }
    const out = this.bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_FIXED64) this.take(8);
    else if (wireType === WIRE_FIXED32) this.take(4);
    else if (wireType === WIRE_LEN) this.take(this.uint32("length"));
    else throw new ProtoDecodeError(`unsupported wire type ${wireType}`);
  }
}

/** Decodes untrusted bytes as `schema`; throws {@linkcode ProtoDecodeError} when they are not one. */
export function decodeMessage<T>(schema: MessageSchema<T>, bytes: Uint8Array): T {
  const out: Record<string, unknown> = {};
  for (const f of schema.fields) if (!f.optional) out[f.key] = defaultOf(f.kind);
  const r = new Reader(bytes);
  while (!r.done) {
    const tag = r.uint32("tag");
    const no = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (no === 0 || no > FIELD_NUMBER_MAX) throw new ProtoDecodeError(`field number ${no}`);
    const f = schema.fields.find((x) => x.no === no);
    if (f === undefined || wireTypeOf(f.kind) !== wireType) {
      r.skip(wireType);
      continue;
    }
    if (f.kind === "string") {
      const body = r.take(r.uint32("length"));
      try {
        out[f.key] = utf8Strict.decode(body);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        throw new ProtoDecodeError(`${f.key}: invalid UTF-8`);
      }
    } else if (f.kind === "bool") {
      out[f.key] = r.varint().nonZero;
    } else {
      out[f.key] = r.varint().low32;
    }
  }
  return out as T;
}
