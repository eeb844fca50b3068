import assert from "node:assert/strict";
import { seededPrng } from "../../../lib/clock.ts";
import { LZW_OUTPUT_MAX_BYTES, lzwCompress, lzwDecompress } from "../../../lib/gossip/wire/lzw.ts";
import { utf8 } from "../../../lib/gossip/wire/msgpack.ts";
import { CAPTURE_PUSH_PULL, hex, throwsDecode } from "./_captures.ts";

const VECTORS: [string, string][] = [
  ["", "0101"],
  ["A", "00830404"],
  ["ABABABA", "00830811483020"],
  ["TOBEORNOTTOBEORTOBEORNOT", "00a93c1152e48914274fa80824687061c183090302"],
];

Deno.test("lzwCompress() is byte-identical to Go on the spec's vectors", () => {
  for (const [input, out] of VECTORS) assert.equal(hex(lzwCompress(utf8(input))), out, input);
});

Deno.test("lzwDecompress() reads the spec's vectors", () => {
  for (const [input, out] of VECTORS) {
    const packed = Uint8Array.from(out.match(/../g) ?? [], (h) => parseInt(h, 16));
    assert.deepEqual(lzwDecompress(packed), utf8(input), input);
  }
});

Deno.test("lzwCompress() starts with a CLEAR code (first 9 LSB bits = 0x100)", () => {
  const packed = lzwCompress(CAPTURE_PUSH_PULL);
  assert.equal(packed[0]! | ((packed[1]! & 1) << 8), 0x100);
  assert.deepEqual(lzwDecompress(packed), CAPTURE_PUSH_PULL);
});

function randomBytes(seed: number, n: number, alphabet: number): Uint8Array {
  const prng = seededPrng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(prng() * alphabet));
}

/** Counts CLEAR codes in an LZW stream by decoding the widths as the decoder does. */
function clearCount(packed: Uint8Array): number {
  let width = 9, hi = 257, overflow = 512, last = -1, bits = 0, n = 0, pos = 0, clears = 0;
  for (;;) {
    while (n < width) (bits |= packed[pos++]! << n), (n += 8);
    const code = bits & ((1 << width) - 1);
    (bits >>>= width), (n -= width);
    if (code === 256) {
      (clears++), (width = 9), (hi = 257), (overflow = 512), (last = -1);
      continue;
    }
    if (code === 257) return clears;
    (last = code), hi++;
    if (hi >= overflow) {
      if (width === 12) (last = -1), hi--;
      else (width++), (overflow <<= 1);
    }
    void last;
  }
}

Deno.test("lzwCompress()/lzwDecompress() round-trip random data across table resets", () => {
  for (
    const [seed, size, alphabet] of [[1, 1, 256], [2, 100, 256], [3, 5000, 256], [4, 30000, 256], [
      5,
      200000,
      4,
    ], [6, 150000, 2]]
  ) {
    const input = randomBytes(seed!, size!, alphabet!);
    const packed = lzwCompress(input);
    assert.deepEqual(lzwDecompress(packed), input, `seed ${seed}`);
    if (size! > 20000) {
      assert.ok(clearCount(packed) >= 3, `seed ${seed}: expected several table resets`);
    }
  }
});

Deno.test("lzwDecompress() handles the KwKwK case (code == next code)", () => {
  // "AAAA…" makes the encoder emit a code equal to the one it is defining.
  const input = new Uint8Array(5000).fill(0x41);
  assert.deepEqual(lzwDecompress(lzwCompress(input)), input);
  // CLEAR, 'A', 258 (defined by this very code), EOF: 256 65 258 257 at 9 bits.
  assert.equal(hex(lzwCompress(utf8("AAA"))), "0083080c08");
  assert.deepEqual(lzwDecompress(Uint8Array.of(0x00, 0x83, 0x08, 0x0c, 0x08)), utf8("AAA"));
});

Deno.test("lzwDecompress() accepts a stream without the leading CLEAR (older Go)", () => {
  // "A" then EOF at 9 bits each, no CLEAR: 0x41 | 257 << 9.
  assert.deepEqual(lzwDecompress(Uint8Array.of(0x41, 0x02, 0x02)), utf8("A"));
});

Deno.test("lzwDecompress() keeps the table frozen at 12 bits until a CLEAR", () => {
  // Hand-built stream: no CLEAR ever, so the decoder must freeze once 4095 entries exist.
  const codes: [number, number][] = [];
  let width = 9, hi = 257, overflow = 512;
  const literals: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const lit = i % 251;
    codes.push([lit, width]);
    literals.push(lit);
    hi++;
    if (hi >= overflow) {
      if (width === 12) hi--;
      else (width++), (overflow <<= 1);
    }
  }
  assert.equal(width, 12);
  codes.push([257, width]);
  let bits = 0n, n = 0n;
  for (const [c, w] of codes) (bits |= BigInt(c) << n), (n += BigInt(w));
  const packed = new Uint8Array(Number((n + 7n) / 8n));
  for (let i = 0; i < packed.length; i++) packed[i] = Number((bits >> BigInt(8 * i)) & 0xffn);
  assert.deepEqual(lzwDecompress(packed), Uint8Array.from(literals));
});

Deno.test("lzwDecompress() rejects a missing EOF code and codes above the next code", () => {
  const packed = lzwCompress(utf8("hello hello hello"));
  throwsDecode(() => lzwDecompress(packed.subarray(0, packed.length - 2)), "lzw");
  throwsDecode(() => lzwDecompress(new Uint8Array()), "lzw");
  // CLEAR then code 300 while the next code is 258.
  const bad = Uint8Array.of(0x00, 0x01 | (300 << 1) & 0xff, (300 >> 7) & 0xff, 0x00);
  throwsDecode(() => lzwDecompress(bad), "lzw");
});

Deno.test("lzwDecompress() stops at outputMaxBytes instead of expanding a bomb", () => {
  const bomb = lzwCompress(new Uint8Array(2_000_000));
  assert.ok(bomb.length < 20000, `bomb is ${bomb.length} bytes`);
  throwsDecode(() => lzwDecompress(bomb, { outputMaxBytes: 100_000 }), "too-large");
  assert.equal(lzwDecompress(bomb, { outputMaxBytes: 2_000_000 }).length, 2_000_000);
  assert.equal(LZW_OUTPUT_MAX_BYTES, 40 * 1024 * 1024);
});
