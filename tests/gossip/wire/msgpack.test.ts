import assert from "node:assert/strict";
import {
  Bin,
  decode,
  encode,
  Float64,
  MsgpackError,
  MsgpackTruncatedError,
  type MsgValue,
  Reader,
  utf8,
  Writer,
} from "../../../lib/gossip/wire/msgpack.ts";
import {
  boolField,
  bytesField,
  floatField,
  intField,
  stringField,
  stringMapField,
  stringsField,
  u64Field,
  uintField,
} from "../../../lib/gossip/wire/fields.ts";
import { capture, hex, throwsDecode } from "./_captures.ts";

const map = (b: Uint8Array) => decode(b) as Map<string, MsgValue>;

Deno.test("encode() writes strings and byte slices in the raw str family (fixstr, str16, str32)", () => {
  assert.equal(hex(encode("")), "a0");
  assert.equal(hex(encode("py")), "a27079");
  assert.equal(hex(encode(new Uint8Array(31))).slice(0, 2), "bf");
  // 32..65535 bytes: str16, never str8 (0xd9) — Go writes a 70-byte Buf as `da 00 46`.
  assert.equal(hex(encode(new Uint8Array(70))).slice(0, 6), "da0046");
  assert.equal(hex(encode(new Uint8Array(65535))).slice(0, 6), "daffff");
  assert.equal(hex(encode(new Uint8Array(65536))).slice(0, 10), "db00010000");
});

Deno.test("encode() writes non-negative integers in the smallest unsigned form", () => {
  assert.equal(hex(encode(0)), "00");
  assert.equal(hex(encode(127)), "7f");
  assert.equal(hex(encode(128)), "cc80");
  assert.equal(hex(encode(7946)), "cd1f0a");
  assert.equal(hex(encode(3_200_000_000)), "cebebc2000");
  assert.equal(hex(encode(2 ** 32)), "cf0000000100000000");
  assert.equal(hex(encode(0xffffffffffffffffn)), "cfffffffffffffffff");
  assert.equal(hex(encode(-1)), "ff");
  assert.equal(hex(encode(-33)), "d0df");
  assert.equal(hex(encode(-200)), "d1ff38");
  assert.throws(() => encode(1.5), MsgpackError);
});

Deno.test("encode() writes Float64 as 0xcb even for 0.0, Bin in the bin family, nil for null", () => {
  assert.equal(hex(encode(new Float64(0))), "cb0000000000000000");
  assert.equal(hex(encode(new Bin(capture(`7f000001`)))), "c4047f000001");
  assert.equal(hex(encode(null)), "c0");
  assert.equal(hex(encode(true)), "c3");
  assert.equal(hex(encode(false)), "c2");
});

Deno.test("encode() leaves undefined object entries out of the map (omitempty)", () => {
  assert.equal(hex(encode({ A: 1, B: undefined })), "81a14101");
  assert.equal(hex(encode([null, null])), "92c0c0");
});

Deno.test("decode() accepts both Go codec generations' integer forms", () => {
  // Old codec writes UserStateLen 588 as cd 024c, the new one as d1 024c.
  assert.equal(decode(capture(`cd 024c`)), 588);
  assert.equal(decode(capture(`d1 024c`)), 588);
  // Timeout 3.2e9 ns: ce (old) vs d3 (new).
  assert.equal(decode(capture(`ce bebc2000`)), 3_200_000_000);
  assert.equal(decode(capture(`d3 00000000bebc2000`)), 3_200_000_000);
  assert.equal(decode(capture(`d2 00001f0a`)), 7946);
  assert.equal(decode(capture(`d0 ff`)), -1);
  assert.equal(decode(capture(`cc ff`)), 255);
  assert.equal(decode(capture(`cf 001fffffffffffff`)), Number.MAX_SAFE_INTEGER);
  assert.equal(decode(capture(`cf 0020000000000000`)), 2n ** 53n);
  assert.equal(decode(capture(`cf ffffffffffffffff`)), 0xffffffffffffffffn);
  assert.equal(decode(capture(`d3 8000000000000000`)), -(2n ** 63n));
});

Deno.test("decode() returns bytes for str8, str16, str32 and the bin family alike", () => {
  for (const h of ["a3616263", "d903616263", "da0003616263", "db00000003616263", "c403616263"]) {
    assert.deepEqual(decode(capture(`${h}`)), utf8("abc"), h);
  }
  assert.deepEqual(decode(capture(`c5 0001 ff`)), capture(`ff`));
  assert.deepEqual(decode(capture(`c6 00000001 ff`)), capture(`ff`));
});

Deno.test("decode() reads floats, arrays and maps of every width", () => {
  assert.equal(decode(capture(`cb 3ff8000000000000`)), 1.5);
  assert.equal(decode(capture(`ca 3fc00000`)), 1.5);
  assert.deepEqual(decode(capture(`dc 0002 01 02`)), [1, 2]);
  assert.deepEqual(decode(capture(`dd 00000001 c0`)), [null]);
  assert.deepEqual(map(capture(`de 0001 a1 41 01`)), new Map([["A", 1]]));
  assert.deepEqual(map(capture(`df 00000001 a1 41 c3`)), new Map([["A", true]]));
});

Deno.test("decode() throws MsgpackTruncatedError with the bytes needed on truncated input", () => {
  for (const h of ["", "cd 1f", "a4 4e6f", "da 00", "92 01", "82 a1 41 01", "cb 00"]) {
    const err = throwsDecode(() => decode(capture(`${h}`)), "truncated");
    assert.ok(err instanceof MsgpackTruncatedError);
  }
  try {
    decode(capture(`a4 4e`));
  } catch (err) {
    assert.ok(err instanceof MsgpackTruncatedError);
    assert.equal(err.neededBytes, 5);
  }
});

Deno.test("decode() refuses huge declared lengths without allocating them", () => {
  for (const h of ["db ffffffff", "c6 ffffffff", "dd ffffffff", "df ffffffff", "de ffff"]) {
    const start = performance.now();
    assert.throws(() => decode(capture(`${h}`)), MsgpackTruncatedError, h);
    assert.ok(performance.now() - start < 50, `${h} took too long`);
  }
});

Deno.test("decode() refuses unsupported types, non-string keys, deep nesting and trailing bytes", () => {
  assert.throws(() => decode(capture(`c1`)), MsgpackError);
  assert.throws(() => decode(capture(`d4 01 02`)), MsgpackError); // fixext1
  assert.throws(() => decode(capture(`81 01 02`)), MsgpackError);
  assert.throws(() => decode(capture(`${"91".repeat(40) + "c0"}`)), MsgpackError);
  assert.throws(() => decode(capture(`01 02`)), MsgpackError);
});

Deno.test("Reader reads consecutive values and raw bytes after them", () => {
  const w = new Writer();
  w.value({ Nodes: 1 });
  w.raw(capture(`ff ee`));
  const r = new Reader(w.bytes());
  assert.deepEqual(r.read(), new Map([["Nodes", 1]]));
  assert.deepEqual(r.rawBytes(2), capture(`ffee`));
  assert.equal(r.remaining, 0);
});

Deno.test("fields treat nil and missing keys as zero values (nil vs empty)", () => {
  const m = map(capture(`85 a1 41 c0 a1 42 a0 a1 43 c0 a1 44 90 a1 45 c0`));
  assert.deepEqual(bytesField(m, "A"), new Uint8Array(0));
  assert.deepEqual(bytesField(m, "B"), new Uint8Array(0));
  assert.equal(stringField(m, "C"), "");
  assert.deepEqual(stringsField(m, "D"), []);
  assert.deepEqual(stringMapField(m, "E"), new Map());
  assert.equal(uintField(m, "Missing"), 0);
  assert.equal(intField(m, "A"), 0);
  assert.equal(boolField(m, "A"), false);
  assert.equal(floatField(m, "A"), 0);
  assert.equal(u64Field(m, "A"), 0);
});

Deno.test("fields reject values of the wrong type or out of range", () => {
  const m = map(encode({ S: "x", N: -1, Big: 70000, Arr: [1, 300], F: true }));
  assert.throws(() => uintField(m, "S"), MsgpackError);
  assert.throws(() => uintField(m, "N"), MsgpackError);
  assert.throws(() => uintField(m, "Big", 0xffff), MsgpackError);
  assert.throws(() => bytesField(m, "Arr"), MsgpackError);
  assert.throws(() => stringField(m, "N"), MsgpackError);
  assert.throws(() => boolField(m, "N"), MsgpackError);
  assert.throws(() => floatField(m, "F"), MsgpackError);
  assert.equal(intField(m, "N"), -1);
  // go-msgpack v2 accepts an array of small ints for []byte.
  assert.deepEqual(bytesField(map(encode({ V: [1, 5, 2] })), "V"), capture(`010502`));
});

Deno.test("msgpack: a string encodes as its UTF-8 bytes would, ASCII fast path or not", () => {
  const samples = ["", "a", "Name", "node-4999", "x".repeat(31), "x".repeat(32), "y".repeat(300)];
  samples.push("é", "node-é", "\u007f", "\u0080", "日本", `${"a".repeat(30)}é`);
  for (const s of samples) {
    assert.deepEqual(encode(s), encode(utf8(s)), JSON.stringify(s));
    const w = new Writer();
    w.u8(0x01);
    w.str(s);
    w.str(utf8(s));
    const one = encode(utf8(s));
    assert.deepEqual(w.bytes(), Uint8Array.from([0x01, ...one, ...one]), JSON.stringify(s));
  }
});

Deno.test("msgpack: map keys decode the same, ASCII fast path or not; a cut key is still truncation", () => {
  const keys = ["", "Name", "node-é", "x".repeat(31), "x".repeat(40), "日本"];
  const m = new Map(keys.map((k, i) => [k, i]));
  const bytes = encode(m);
  assert.deepEqual(decode(bytes), m);
  const cut = encode(new Map([["Incarnation", 1]])).subarray(0, 5);
  assert.throws(() => decode(cut), MsgpackTruncatedError);
});
