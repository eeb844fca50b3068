import assert from "node:assert/strict";
import { LamportClock, toLTime } from "../../lib/serf/lamport.ts";
import { LamportOverflowError, SerfDecodeError, SizeLimitError } from "../../lib/serf/errors.ts";
import { decodeTags, encodeTags } from "../../lib/serf/tags.ts";
import { capture, hex } from "../_support/bytes.ts";

Deno.test("LamportClock.witness() moves past a value at or above the current time only", () => {
  const c = new LamportClock();
  assert.equal(c.increment(), 1);
  c.witness(0);
  assert.equal(c.time(), 1);
  c.witness(1);
  assert.equal(c.time(), 2);
  c.witness(10);
  assert.equal(c.time(), 11);
  c.witness(5);
  assert.equal(c.time(), 11);
});

Deno.test("LamportClock refuses times above 2^53 - 1 with LamportOverflowError", () => {
  assert.throws(() => new LamportClock().witness(Number.MAX_SAFE_INTEGER), LamportOverflowError);
  assert.throws(() => toLTime(2n ** 60n), LamportOverflowError);
  assert.throws(() => toLTime(-1), LamportOverflowError);
  assert.equal(toLTime(12n), 12);
  const c = new LamportClock(Number.MAX_SAFE_INTEGER);
  assert.throws(() => c.increment(), LamportOverflowError);
});

Deno.test("encodeTags() writes 0xFF + a msgpack map, as in capture (b)", () => {
  const meta = encodeTags(new Map([["role", "python"], ["dc", "lab"]]));
  assert.equal(hex(meta), hex(capture(`ff 82 a4"role" a6"python" a2"dc" a3"lab"`)));
  assert.equal(hex(encodeTags(new Map())), "ff80");
});

Deno.test("decodeTags() reads the map form in any key order and the legacy role form", () => {
  const tags = decodeTags(capture(`ff 82 a2 64 63 a3 6c 61 62 a4 72 6f 6c 65 a3 77 65 62`));
  assert.deepEqual(Object.fromEntries(tags), { dc: "lab", role: "web" });
  assert.deepEqual(Object.fromEntries(decodeTags(new TextEncoder().encode("web"))), {
    role: "web",
  });
  assert.deepEqual(Object.fromEntries(decodeTags(new Uint8Array(0))), { role: "" });
  assert.throws(() => decodeTags(Uint8Array.of(0xff, 0x81, 0xa1)), SerfDecodeError);
});

Deno.test("encodeTags() refuses tags over 512 bytes with SizeLimitError naming the sizes", () => {
  const err = assert.throws(
    () => encodeTags(new Map([["big", "x".repeat(600)]])),
    (e: unknown) => e instanceof SizeLimitError && e.limitBytes === 512 && e.sizeBytes > 600,
  );
  void err;
});
