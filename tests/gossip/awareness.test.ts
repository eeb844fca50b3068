import assert from "node:assert/strict";
import { Awareness } from "../../lib/gossip/awareness.ts";

Deno.test("Awareness.applyDelta() clamps the score to 0 … max − 1", () => {
  const a = new Awareness(8);
  a.applyDelta(-1);
  assert.equal(a.score, 0);
  a.applyDelta(3);
  assert.equal(a.score, 3);
  a.applyDelta(100);
  assert.equal(a.score, 7);
  a.applyDelta(-2);
  assert.equal(a.score, 5);
});

Deno.test("Awareness.scaleTimeoutMs() multiplies by score + 1", () => {
  const a = new Awareness(8);
  assert.equal(a.scaleTimeoutMs(1000), 1000);
  a.applyDelta(7);
  assert.equal(a.scaleTimeoutMs(1000), 8000);
});
