import assert from "node:assert/strict";
import { LAN_CONFIG } from "../../lib/gossip/config.ts";
import {
  Suspicion,
  suspicionBounds,
  suspicionTimeoutAfterMs,
  suspicionTimeoutMs,
} from "../../lib/gossip/suspicion.ts";

Deno.test("suspicionBounds() matches the §6.4 LAN table", () => {
  for (const n of [1, 2, 3]) {
    assert.deepEqual(suspicionBounds(LAN_CONFIG, n), { minMs: 4000, maxMs: 24000, k: 0 });
  }
  for (const n of [4, 5, 10]) {
    assert.deepEqual(suspicionBounds(LAN_CONFIG, n), { minMs: 4000, maxMs: 24000, k: 2 });
  }
  assert.deepEqual(suspicionBounds(LAN_CONFIG, 100), { minMs: 8000, maxMs: 48000, k: 2 });
  assert.deepEqual(suspicionBounds(LAN_CONFIG, 1000), { minMs: 12000, maxMs: 72000, k: 2 });
});

Deno.test("suspicionTimeoutMs() truncates the node scale to thousandths as memberlist", () => {
  // log10(50) = 1.69897 → 1698 → 4 × 1698 × 1000 / 1000.
  assert.equal(suspicionTimeoutMs(4, 50, 1000), 6792);
  assert.equal(suspicionTimeoutMs(4, 0, 1000), 4000);
  assert.equal(suspicionTimeoutMs(6, 20, 5000), 39030);
});

Deno.test("suspicionTimeoutAfterMs() shrinks 24 s → 11.381 s → 4 s with confirmations", () => {
  const b = suspicionBounds(LAN_CONFIG, 5);
  assert.equal(suspicionTimeoutAfterMs(b, 0), 24000);
  assert.equal(suspicionTimeoutAfterMs(b, 1), 11381);
  assert.equal(suspicionTimeoutAfterMs(b, 2), 4000);
});

Deno.test("Suspicion.confirm() counts new accusers only, up to k, minus elapsed time", () => {
  const s = new Suspicion(suspicionBounds(LAN_CONFIG, 5), "a", 1000);
  assert.equal(s.initialTimeoutMs(), 24000);
  assert.equal(s.confirm("a", 2000), null, "the first accuser is no confirmation");
  assert.equal(s.confirm("b", 3000), 11381 - 2000);
  assert.equal(s.confirm("b", 3500), null, "the same accuser twice");
  assert.equal(s.confirm("c", 9000), 4000 - 8000, "past min: expire now");
  assert.equal(s.confirm("d", 9000), null, "k reached");
  assert.equal(s.confirmations, 2);
});

Deno.test("Suspicion.initialTimeoutMs() is min when no confirmations are expected", () => {
  const s = new Suspicion(suspicionBounds(LAN_CONFIG, 3), "a", 0);
  assert.equal(s.initialTimeoutMs(), 4000);
  assert.equal(s.confirm("b", 10), null);
});
