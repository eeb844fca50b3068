import assert from "node:assert/strict";
import { AckRegistry } from "../../lib/gossip/ack_registry.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

Deno.test("AckRegistry delivers an ack once, nacks repeatedly, and times out otherwise", async () => {
  const clock = new VirtualClock();
  const reg = new AckRegistry(clock, 10);
  const seen: string[] = [];
  reg.register(1, 100, {
    onAck: (p, t) => seen.push(`ack ${p?.[0]} @${t}`),
    onNack: () => seen.push("nack"),
    onTimeout: () => seen.push("timeout 1"),
  });
  reg.register(2, 100, {
    onAck: () => seen.push("ack 2"),
    onTimeout: () => seen.push("timeout 2"),
  });
  assert.equal(reg.nack(1), true);
  assert.equal(reg.nack(1), true);
  await clock.advance(50);
  assert.equal(reg.ack(1, Uint8Array.of(7), clock.nowMs()), true);
  assert.equal(reg.ack(1, null, clock.nowMs()), false, "handled once");
  await clock.advance(50);
  assert.deepEqual(seen, ["nack", "nack", "ack 7 @50", "timeout 2"]);
  assert.equal(reg.size, 0);
});

Deno.test("AckRegistry.register() refuses beyond its bound and duplicate sequence numbers", () => {
  const clock = new VirtualClock();
  const reg = new AckRegistry(clock, 2);
  const h = { onAck: () => {} };
  assert.equal(reg.register(1, 10, h), true);
  assert.equal(reg.register(1, 10, h), false);
  assert.equal(reg.register(2, 10, h), true);
  assert.equal(reg.register(3, 10, h), false);
  reg.clear();
  assert.equal(reg.size, 0);
});
