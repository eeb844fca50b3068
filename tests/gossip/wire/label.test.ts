import assert from "node:assert/strict";
import {
  addLabel,
  checkLabel,
  labelOverhead,
  stripLabel,
  validateLabel,
} from "../../../lib/gossip/wire/label.ts";
import { capture, CAPTURE_PING, hex, throwsDecode } from "./_captures.ts";

Deno.test("addLabel() prefixes [0xF4][len][label] and leaves unlabelled bytes alone", () => {
  assert.equal(
    hex(addLabel(capture(`00`), "blue")),
    "f404" + hex(new TextEncoder().encode("blue")) + "00",
  );
  const same = addLabel(CAPTURE_PING, "");
  assert.equal(same, CAPTURE_PING);
  assert.equal(labelOverhead("blue"), 6);
  assert.equal(labelOverhead(""), 0);
});

Deno.test("addLabel() refuses labels over 255 bytes", () => {
  assert.throws(() => addLabel(capture(`00`), "x".repeat(256)), RangeError);
  assert.throws(() => validateLabel("é".repeat(128)), RangeError);
  validateLabel("x".repeat(255));
});

Deno.test("stripLabel() removes the header and rejects empty or truncated headers", () => {
  assert.deepEqual(stripLabel(addLabel(CAPTURE_PING, "blue")), {
    label: "blue",
    rest: CAPTURE_PING,
  });
  assert.deepEqual(stripLabel(CAPTURE_PING), { label: "", rest: CAPTURE_PING });
  assert.deepEqual(stripLabel(new Uint8Array()), { label: "", rest: new Uint8Array() });
  throwsDecode(() => stripLabel(capture(`f4`)), "label");
  throwsDecode(() => stripLabel(capture(`f4 00 00`)), "label");
  throwsDecode(() => stripLabel(capture(`f4 05 6162`)), "label");
});

Deno.test("checkLabel() drops foreign labels; no label counts as the empty label", () => {
  assert.deepEqual(
    checkLabel(addLabel(CAPTURE_PING, "blue"), { label: "blue" }).rest,
    CAPTURE_PING,
  );
  throwsDecode(() => checkLabel(addLabel(CAPTURE_PING, "red"), { label: "blue" }), "label");
  throwsDecode(() => checkLabel(CAPTURE_PING, { label: "blue" }), "label");
  throwsDecode(() => checkLabel(addLabel(CAPTURE_PING, "blue")), "label");
  assert.equal(checkLabel(CAPTURE_PING).label, "");
});

Deno.test("checkLabel() with skipInboundLabelCheck takes unlabelled input as ours", () => {
  const opts = { label: "blue", skipInboundLabelCheck: true };
  assert.deepEqual(checkLabel(CAPTURE_PING, opts), { label: "blue", rest: CAPTURE_PING });
  throwsDecode(() => checkLabel(addLabel(CAPTURE_PING, "blue"), opts), "label");
});
