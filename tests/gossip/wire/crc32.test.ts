import assert from "node:assert/strict";
import { crc32 } from "../../../lib/gossip/wire/crc32.ts";
import { utf8 } from "../../../lib/gossip/wire/msgpack.ts";
import { CAPTURE_GOSSIP, CAPTURE_QUERY } from "./_captures.ts";

Deno.test("crc32() matches the standard CRC-32/IEEE check values", () => {
  assert.equal(crc32(utf8("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
  assert.equal(crc32(utf8("a")), 0xe8b7be43);
  assert.equal(crc32(utf8("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  assert.equal(crc32(new Uint8Array(32).fill(0xff)), 0xff6cab0b);
});

Deno.test("crc32() reproduces Go's CRC headers in captures (b) and (e)", () => {
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(1);
  assert.equal(crc32(CAPTURE_GOSSIP.subarray(5)), view(CAPTURE_GOSSIP));
  assert.equal(view(CAPTURE_GOSSIP), 0x552442a1);
  assert.equal(crc32(CAPTURE_QUERY.subarray(5)), 0x6658d6f5);
});
