import assert from "node:assert/strict";
import {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_OVERHEAD,
  COMPOUND_PARTS_MAX,
  decodeCompoundBody,
  encodeCompound,
  encodeCompounds,
} from "../../../lib/gossip/wire/compound.ts";
import {
  capture,
  CAPTURE_ALIVE_PY,
  CAPTURE_GOSSIP,
  CAPTURE_JOIN_INTENT,
  hex,
  throwsDecode,
} from "./_captures.ts";

Deno.test("encodeCompound() reproduces the compound of capture (b)", () => {
  const wire = encodeCompound([CAPTURE_ALIVE_PY, CAPTURE_JOIN_INTENT]);
  assert.equal(hex(wire), hex(CAPTURE_GOSSIP.subarray(5)));
  assert.equal(wire.length, COMPOUND_HEADER_OVERHEAD + 2 * COMPOUND_OVERHEAD + 79 + 17);
});

Deno.test("decodeCompoundBody() splits capture (b) into its two parts", () => {
  const { parts, truncated } = decodeCompoundBody(CAPTURE_GOSSIP.subarray(6));
  assert.equal(truncated, 0);
  assert.deepEqual(parts, [CAPTURE_ALIVE_PY, CAPTURE_JOIN_INTENT]);
});

Deno.test("decodeCompoundBody() keeps complete parts and counts truncated ones, as Go", () => {
  const body = CAPTURE_GOSSIP.subarray(6, CAPTURE_GOSSIP.length - 3);
  const { parts, truncated } = decodeCompoundBody(body);
  assert.deepEqual(parts, [CAPTURE_ALIVE_PY]);
  assert.equal(truncated, 1);
  assert.deepEqual(decodeCompoundBody(capture(`03 0000 0001 0001 08`)), {
    parts: [new Uint8Array(), capture(`08`)],
    truncated: 1,
  });
});

Deno.test("decodeCompoundBody() throws on a missing count or length table", () => {
  throwsDecode(() => decodeCompoundBody(new Uint8Array()), "truncated");
  throwsDecode(() => decodeCompoundBody(capture(`02 0001`)), "truncated");
  assert.deepEqual(decodeCompoundBody(capture(`00`)), { parts: [], truncated: 0 });
});

Deno.test("encodeCompound() refuses more than 255 parts; encodeCompounds() splits them", () => {
  const parts = Array.from(
    { length: 600 },
    (_, i) => capture(`08 ${(i % 256).toString(16).padStart(2, "0")}`),
  );
  assert.throws(() => encodeCompound(parts), RangeError);
  assert.throws(() => encodeCompound([new Uint8Array(65536)]), RangeError);
  const compounds = encodeCompounds(parts);
  assert.deepEqual(compounds.map((c) => c[1]), [COMPOUND_PARTS_MAX, COMPOUND_PARTS_MAX, 90]);
  const back = compounds.flatMap((c) => decodeCompoundBody(c.subarray(1)).parts);
  assert.deepEqual(back, parts);
});
