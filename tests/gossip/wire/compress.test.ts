import assert from "node:assert/strict";
import {
  decodeCompressBody,
  decompressMap,
  encodeCompress,
} from "../../../lib/gossip/wire/compress.ts";
import { lzwCompress } from "../../../lib/gossip/wire/lzw.ts";
import { decode, encode, utf8 } from "../../../lib/gossip/wire/msgpack.ts";
import { capture, CAPTURE_PUSH_PULL, COMPRESS_A, hex, throwsDecode } from "./_captures.ts";

Deno.test('encodeCompress() writes the spec\'s full message for compress("A")', () => {
  assert.equal(hex(encodeCompress(utf8("A"))), hex(COMPRESS_A));
});

Deno.test("encodeCompress() writes Buf as str16 when 32+ bytes, as Go does (capture (g))", () => {
  const wire = encodeCompress(CAPTURE_PUSH_PULL);
  const packed = lzwCompress(CAPTURE_PUSH_PULL);
  assert.equal(
    hex(wire.subarray(0, 14)),
    "0982a4416c676f00a3427566da" + packed.length.toString(16).padStart(4, "0").slice(0, 2),
  );
  assert.deepEqual(decodeCompressBody(wire.subarray(1)).inner, CAPTURE_PUSH_PULL);
});

Deno.test("decodeCompressBody() reads the message and reports the bytes it used", () => {
  const trailing = capture(`${hex(COMPRESS_A.subarray(1))} ffff`);
  const r = decodeCompressBody(trailing);
  assert.deepEqual(r.inner, utf8("A"));
  assert.equal(r.consumedBytes, COMPRESS_A.length - 1);
});

Deno.test("decodeCompressBody() accepts Buf as bin8 or str8 and keys in any order", () => {
  const body = encode(
    new Map<string, Uint8Array | number>([["Buf", lzwCompress(utf8("xyz"))], ["Algo", 0]]),
  );
  assert.deepEqual(decodeCompressBody(body).inner, utf8("xyz"));
  const bin = capture(`82 a4 "Algo" 00 a3 "Buf" c4 04 00830404`);
  assert.deepEqual(decodeCompressBody(bin).inner, utf8("A"));
});

Deno.test("decodeCompressBody() refuses unknown algorithms, empty output, bad LZW, truncation", () => {
  throwsDecode(() => decodeCompressBody(encode({ Algo: 1, Buf: lzwCompress(utf8("A")) })), "lzw");
  throwsDecode(
    () => decodeCompressBody(encode({ Algo: 0, Buf: lzwCompress(new Uint8Array()) })),
    "lzw",
  );
  throwsDecode(() => decodeCompressBody(encode({ Algo: 0, Buf: capture(`0083`) })), "lzw");
  throwsDecode(() => decodeCompressBody(COMPRESS_A.subarray(1, 10)), "truncated");
  throwsDecode(() => decompressMap(decode(capture(`01`))), "malformed");
});

Deno.test("decodeCompressBody() honours outputMaxBytes", () => {
  const big = encodeCompress(new Uint8Array(100_000));
  throwsDecode(() => decodeCompressBody(big.subarray(1), { outputMaxBytes: 50_000 }), "too-large");
});
