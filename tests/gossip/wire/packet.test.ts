import assert from "node:assert/strict";
import { gossipConfig } from "../../../lib/gossip/config.ts";
import { encodeCompound } from "../../../lib/gossip/wire/compound.ts";
import { encodeCompress } from "../../../lib/gossip/wire/compress.ts";
import { Keyring } from "../../../lib/gossip/wire/keyring.ts";
import { addLabel } from "../../../lib/gossip/wire/label.ts";
import { decodeMessage, encodeMessage, MessageType } from "../../../lib/gossip/wire/messages.ts";
import {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_OVERHEAD,
  CRC_OVERHEAD,
  decodePacket,
  encodePacket,
  ENCRYPTION_OVERHEAD,
  labelOverhead,
  PACKET_NESTING_MAX,
} from "../../../lib/gossip/wire/packet.ts";
import {
  capture,
  CAPTURE_ALIVE_PY,
  CAPTURE_DEAD,
  CAPTURE_GOSSIP,
  CAPTURE_JOIN_INTENT,
  CAPTURE_PING,
  CAPTURE_QUERY,
  hex,
  throwsDecode,
} from "./_captures.ts";

/** Capture (c)'s inner message: a serf user event with a 300-byte payload, 337 bytes. */
const BIG_EVENT = capture(
  `08 03 84 a2 "CC" c3 a5 "LTime" 0b a4 "Name" a6 "bigevt" a7 "Payload" da 012c "${
    "x".repeat(300)
  }"`,
);

Deno.test("encodePacket() sends a lone ping bare and uncompressed, like capture (a)", () => {
  assert.equal(hex(encodePacket([CAPTURE_PING])), hex(CAPTURE_PING));
});

Deno.test("encodePacket() reproduces capture (b): CRC over an uncompressed compound", () => {
  const wire = encodePacket([CAPTURE_ALIVE_PY, CAPTURE_JOIN_INTENT], { crc: true });
  assert.equal(hex(wire), hex(CAPTURE_GOSSIP));
});

Deno.test("encodePacket() compresses capture (c)'s 337-byte event to Go's 90 bytes", () => {
  assert.equal(BIG_EVENT.length, 337);
  const wire = encodePacket([BIG_EVENT], { crc: true });
  assert.equal(wire.length, 90);
  assert.equal(hex(wire.subarray(5, 20)), "0982a4416c676f00a3427566da0046");
  assert.equal(hex(wire.subarray(20, 28)), "00110c20246ac890");
  const { messages, crc, compressed } = decodePacket(wire);
  assert.ok(crc && compressed);
  assert.deepEqual(messages, [BIG_EVENT]);
});

Deno.test("decodePacket() reads captures (a), (b) and (e)", () => {
  assert.deepEqual(decodePacket(CAPTURE_PING).messages, [CAPTURE_PING]);
  const b = decodePacket(CAPTURE_GOSSIP);
  assert.deepEqual(b.messages, [CAPTURE_ALIVE_PY, CAPTURE_JOIN_INTENT]);
  assert.deepEqual(b.errors, []);
  assert.equal(b.crc, true);
  assert.equal(b.compressed, false);
  const e = decodePacket(CAPTURE_QUERY);
  assert.equal(e.messages.length, 1);
  assert.equal(decodeMessage(e.messages[0]!).type, MessageType.User);
});

Deno.test("decodePacket() unwraps compress-in-compound and compound-in-compress (capture (d))", () => {
  const inner = encodeCompound([CAPTURE_PING, CAPTURE_ALIVE_PY, CAPTURE_DEAD, CAPTURE_JOIN_INTENT]);
  assert.equal(hex(inner.subarray(0, 10)), "0704003c004f001d0011");
  const d = decodePacket(encodeCompress(inner));
  assert.deepEqual(d.messages, [CAPTURE_PING, CAPTURE_ALIVE_PY, CAPTURE_DEAD, CAPTURE_JOIN_INTENT]);
  const mixed = encodeCompound([encodeCompress(CAPTURE_PING), CAPTURE_DEAD, encodeCompress(inner)]);
  assert.equal(decodePacket(mixed).messages.length, 6);
});

Deno.test("decodePacket() drops a packet whose CRC does not match", () => {
  const bad = CAPTURE_GOSSIP.slice();
  bad[50]! ^= 0x20;
  throwsDecode(() => decodePacket(bad), "crc");
});

Deno.test("decodePacket() keeps good compound parts and lists the bad ones", () => {
  const compound = encodeCompound([
    CAPTURE_DEAD,
    capture(`0c 00000000 00`),
    capture(`63 80`),
    new Uint8Array(),
  ]);
  const r = decodePacket(compound.subarray(0, compound.length));
  assert.deepEqual(r.messages, [CAPTURE_DEAD]);
  assert.deepEqual(r.errors.map((e) => e.reason), ["unknown-type", "unknown-type", "truncated"]);
  const cut = decodePacket(CAPTURE_GOSSIP.subarray(5, CAPTURE_GOSSIP.length - 1));
  assert.deepEqual(cut.messages, [CAPTURE_ALIVE_PY]);
  assert.deepEqual(cut.errors.map((e) => e.reason), ["truncated"]);
});

Deno.test("decodePacket() throws when nothing in the packet is usable", () => {
  throwsDecode(() => decodePacket(new Uint8Array()), "truncated");
  throwsDecode(() => decodePacket(capture(`06 80`)), "unknown-type");
  throwsDecode(() => decodePacket(capture(`0c 0000`)), "unknown-type"); // too short for a CRC
  throwsDecode(() => decodePacket(capture(`09 82 a4 "Algo" 01 a3 "Buf" a0`)), "lzw");
  throwsDecode(() => decodePacket(capture(`07 03 0001`)), "truncated");
});

Deno.test("decodePacket() bounds nesting depth and total decompressed bytes", () => {
  let nested = CAPTURE_PING;
  for (let i = 0; i <= PACKET_NESTING_MAX; i++) nested = encodeCompress(nested);
  throwsDecode(() => decodePacket(nested), "malformed");
  // three parts of 25 000 bytes: two fit in the 64 KiB packet budget, the third does not
  const big = encodeCompress(capture(`08 ${"00".repeat(25_000)}`));
  const r = decodePacket(encodeCompound([big, big, big]));
  assert.equal(r.messages.length, 2);
  assert.deepEqual(r.errors.map((e) => e.reason), ["too-large"]);
  throwsDecode(() => decodePacket(big, { decompressedMaxBytes: 1000 }), "too-large");
  const meter = { decompressedBytes: 0 };
  throwsDecode(() => decodePacket(big, { decompressedMaxBytes: 1000, meter }), "too-large");
  assert.equal(meter.decompressedBytes, 1000, "a failed inflate is charged its whole allowance");
  decodePacket(big, { meter });
  assert.equal(meter.decompressedBytes, 1000 + 25_001);
});

Deno.test("encodePacket()/decodePacket() round-trip through encryption and a label", () => {
  const ring = new Keyring([new Uint8Array(32).fill(5)]);
  const msgs = [CAPTURE_PING, CAPTURE_DEAD, CAPTURE_JOIN_INTENT];
  const wire = encodePacket(msgs, { crc: true, keyring: ring, label: "blue" });
  assert.equal(wire[0], 0xf4);
  const r = decodePacket(wire, { keyring: ring, label: "blue" });
  assert.deepEqual(r.messages, msgs);
  assert.ok(r.encrypted && r.crc);
  assert.equal(r.label, "blue");
  throwsDecode(() => decodePacket(wire, { keyring: ring, label: "red" }), "label");
  throwsDecode(
    () => decodePacket(wire, { keyring: new Keyring([new Uint8Array(16)]), label: "blue" }),
    "decrypt",
  );
  // The label is authenticated: relabelling makes decryption fail.
  const relabelled = addLabel(wire.subarray(6), "red");
  throwsDecode(() => decodePacket(relabelled, { keyring: ring, label: "red" }), "decrypt");
});

Deno.test("decodePacket() refuses plaintext with a keyring unless verifyIncoming is off", () => {
  const ring = new Keyring([new Uint8Array(16).fill(1)]);
  throwsDecode(() => decodePacket(CAPTURE_GOSSIP, { keyring: ring }), "decrypt");
  const r = decodePacket(CAPTURE_GOSSIP, { keyring: ring, verifyIncoming: false });
  assert.equal(r.encrypted, false);
  assert.equal(r.messages.length, 2);
});

Deno.test("encodePacket() refuses an empty batch; budget constants match memberlist", () => {
  assert.throws(() => encodePacket([]), RangeError);
  const udpBufferSizeBytes = gossipConfig("lan").udpBufferSizeBytes;
  assert.equal(udpBufferSizeBytes, 1400, "memberlist's UDPBufferSize");
  assert.equal(COMPOUND_HEADER_OVERHEAD + COMPOUND_OVERHEAD, 4);
  assert.equal(CRC_OVERHEAD, 5);
  assert.equal(ENCRYPTION_OVERHEAD, 29);
  // Gossip budget with a label and encryption: 1400 - 2 - (2 + 4) - 29.
  assert.equal(
    udpBufferSizeBytes - COMPOUND_HEADER_OVERHEAD - labelOverhead("blue") - ENCRYPTION_OVERHEAD,
    1363,
  );
  const many = encodePacket(
    Array.from({ length: 3 }, () => encodeMessage({ type: MessageType.Nack, seqNo: 1 })),
    {
      compress: false,
    },
  );
  assert.equal(many[0], MessageType.Compound);
});
