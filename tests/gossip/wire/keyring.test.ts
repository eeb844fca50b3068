import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { seededPrng } from "../../../lib/clock.ts";
import { gcmOpen, gcmSeal } from "../../../lib/gossip/wire/_gcm.ts";
import {
  encryptedLength,
  ENCRYPTION_OVERHEAD,
  ENCRYPTION_OVERHEAD_V0,
  KeyError,
  Keyring,
  parseKeyBase64,
} from "../../../lib/gossip/wire/keyring.ts";
import { utf8 } from "../../../lib/gossip/wire/msgpack.ts";
import { capture, CAPTURE_GOSSIP, hex, throwsDecode } from "./_captures.ts";

const zeros = (n: number) => () => new Uint8Array(n);
const key = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function seededRandomBytes(seed: number): (n: number) => Uint8Array {
  const prng = seededPrng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(prng() * 256));
}

Deno.test("Keyring.encrypt() version 1 matches the NIST GCM vectors for 128/192/256-bit keys", () => {
  // SP 800-38D test cases 2, 8/9 and 14: zero key, zero IV, one zero block.
  const cases: [number, string][] = [
    [16, "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf"],
    [24, "98e7247c07f0fe411c267e4384b0f6002ff58d80033927ab8ef4d4587514f0fb"],
    [32, "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"],
  ];
  for (const [n, sealed] of cases) {
    const ring = new Keyring([new Uint8Array(n)], { randomBytes: zeros(12) });
    const blob = ring.encrypt(new Uint8Array(16), new Uint8Array());
    assert.equal(hex(blob), "01" + "00".repeat(12) + sealed, `${n}-byte key`);
    assert.deepEqual(ring.decrypt(blob, new Uint8Array()), new Uint8Array(16));
  }
});

Deno.test("the AES-192 fallback GCM agrees with native GCM for 128 and 256-bit keys", () => {
  const rnd = seededRandomBytes(7);
  for (const n of [16, 32]) {
    for (const len of [0, 1, 15, 16, 17, 1000]) {
      const k = rnd(n), nonce = rnd(12), pt = rnd(len), aad = rnd(len % 23);
      const native = gcmSeal(k, nonce, pt, aad);
      assert.equal(hex(gcmSeal(k, nonce, pt, aad, true)), hex(native), `${n}/${len}`);
      assert.deepEqual(gcmOpen(k, nonce, native, aad, true), pt);
      native[0]! ^= 1;
      assert.equal(gcmOpen(k, nonce, native, aad, true), null);
    }
  }
});

Deno.test("Keyring round-trips with every key size and authenticates the AAD", () => {
  for (const n of [16, 24, 32]) {
    const ring = new Keyring([key(n, 1)], { randomBytes: seededRandomBytes(n) });
    const aad = utf8("label");
    const blob = ring.encrypt(CAPTURE_GOSSIP, aad);
    assert.equal(blob.length, encryptedLength(1, CAPTURE_GOSSIP.length));
    assert.equal(blob.length - CAPTURE_GOSSIP.length, ENCRYPTION_OVERHEAD);
    assert.deepEqual(ring.decrypt(blob, aad), CAPTURE_GOSSIP);
    throwsDecode(() => ring.decrypt(blob, utf8("other")), "decrypt");
  }
});

Deno.test("Keyring encrypts with the primary key and decrypts with any installed key", () => {
  const a = key(32, 0xaa), b = key(16, 0xbb);
  const sender = new Keyring([a]);
  const receiver = new Keyring([b, a]);
  const blob = sender.encrypt(utf8("hi"), new Uint8Array());
  assert.deepEqual(receiver.decrypt(blob, new Uint8Array()), utf8("hi"));
  const stranger = new Keyring([b]);
  throwsDecode(() => stranger.decrypt(blob, new Uint8Array()), "decrypt");
});

Deno.test("Keyring.decrypt() refuses tampered tags, ciphertexts, versions and short blobs", () => {
  const ring = new Keyring([key(32, 3)], { randomBytes: zeros(12) });
  const blob = ring.encrypt(utf8("payload"), new Uint8Array());
  for (const at of [blob.length - 1, 14, 5]) {
    const bad = blob.slice();
    bad[at]! ^= 0x01;
    throwsDecode(() => ring.decrypt(bad, new Uint8Array()), "decrypt");
  }
  const v2 = blob.slice();
  v2[0] = 2;
  throwsDecode(() => ring.decrypt(v2, new Uint8Array()), "decrypt");
  throwsDecode(() => ring.decrypt(new Uint8Array(), new Uint8Array()), "decrypt");
  throwsDecode(() => ring.decrypt(blob.subarray(0, 28), new Uint8Array()), "decrypt");
  const v0 = blob.slice(0, 40);
  v0[0] = 0; // version 0 needs 45 bytes at least
  throwsDecode(() => ring.decrypt(v0, new Uint8Array()), "decrypt");
});

/** Version 0 built by hand from the spec: PKCS#7 pad to 16, then plain AES-256-GCM. */
function handMadeV0(k: Uint8Array, nonce: Uint8Array, plain: Uint8Array, aad: Uint8Array) {
  const pad = 16 - (plain.length % 16);
  const padded = new Uint8Array(plain.length + pad).fill(pad);
  padded.set(plain);
  const c = createCipheriv("aes-256-gcm", k, nonce);
  c.setAAD(aad);
  const ct = new Uint8Array([...c.update(padded), ...c.final(), ...c.getAuthTag()]);
  return new Uint8Array([0, ...nonce, ...ct]);
}

Deno.test("Keyring.decrypt() reads version 0 (PKCS#7-padded) blobs built by hand", () => {
  const k = key(32, 9);
  const ring = new Keyring([k]);
  for (const len of [0, 1, 15, 16, 31]) {
    const plain = Uint8Array.from({ length: len }, (_, i) => i);
    const blob = handMadeV0(k, capture(`0102030405060708090a0b0c`), plain, utf8("L"));
    assert.equal(blob.length, encryptedLength(0, len));
    assert.deepEqual(ring.decrypt(blob, utf8("L")), plain, `length ${len}`);
  }
  // Padding always adds 1..16 bytes: an empty plaintext costs the full 45-byte overhead.
  assert.equal(encryptedLength(0, 0), ENCRYPTION_OVERHEAD_V0);
});

Deno.test("Keyring.encrypt() version 0 pads, and decrypt() refuses a pad longer than the data", () => {
  const k = key(32, 4);
  const ring = new Keyring([k], { randomBytes: zeros(12) });
  const blob = ring.encrypt(utf8("abc"), new Uint8Array(), 0);
  assert.equal(blob[0], 0);
  assert.equal(hex(blob), hex(handMadeV0(k, new Uint8Array(12), utf8("abc"), new Uint8Array())));
  assert.deepEqual(ring.decrypt(blob, new Uint8Array()), utf8("abc"));
  const c = createCipheriv("aes-256-gcm", k, new Uint8Array(12));
  const bad = new Uint8Array(16).fill(0xff);
  const sealed = new Uint8Array([...c.update(bad), ...c.final(), ...c.getAuthTag()]);
  throwsDecode(
    () => ring.decrypt(new Uint8Array([0, ...new Uint8Array(12), ...sealed]), new Uint8Array()),
    "decrypt",
  );
});

Deno.test("Keyring key management follows serf: install, use, remove (not the primary)", () => {
  const a = key(16, 1), b = key(24, 2), c = key(32, 3);
  const ring = new Keyring([a, a]);
  assert.equal(ring.keys.length, 1);
  ring.addKey(b);
  ring.addKey(b);
  assert.deepEqual(ring.keys, [a, b]);
  ring.useKey(b);
  assert.deepEqual(ring.primaryKey, b);
  assert.throws(() => ring.useKey(c), KeyError);
  assert.throws(() => ring.removeKey(b), KeyError);
  ring.removeKey(a);
  assert.deepEqual(ring.keys, [b]);
  assert.throws(() => new Keyring([]), KeyError);
  assert.throws(() => ring.addKey(new Uint8Array(20)), KeyError);
});

Deno.test("parseKeyBase64() reads serf keygen output and explains bad keys", () => {
  const k = parseKeyBase64(" T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s= ");
  assert.equal(k.length, 32);
  assert.equal(Keyring.fromBase64(["AAAAAAAAAAAAAAAAAAAAAA=="]).primaryKey.length, 16);
  assert.throws(
    () => parseKeyBase64("not base64!"),
    (e) => e instanceof KeyError && /base64/.test(e.message),
  );
  assert.throws(
    () => parseKeyBase64("AAAA"),
    (e) => e instanceof KeyError && /3 bytes/.test(e.message),
  );
});
