import assert from "node:assert/strict";
import { AckRegistry } from "../../lib/gossip/ack_registry.ts";
import { halt, schedule, type TimerDirective, TimerDriver } from "../../lib/gossip/loops.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

/** A registry whose deadlines a driver sets on a virtual clock, every directive recorded. */
function driven(max: number) {
  const clock = new VirtualClock();
  const directives: TimerDirective[] = [];
  const driver = new TimerDriver(clock, (timer) => {
    reg.timedOut(Number(timer.slice("ack:".length)));
    return null;
  });
  const reg: AckRegistry = new AckRegistry((d) => {
    directives.push(d);
    driver.apply([d]);
  }, max);
  return { clock, directives, reg };
}

Deno.test("AckRegistry delivers an ack once, nacks repeatedly, and times out otherwise", async () => {
  const { clock, directives, reg } = driven(10);
  const seen: string[] = [];
  reg.register(1, 100, {
    onAck: (p, t) => seen.push(`ack ${p?.[0]} @${t}`),
    onNack: () => seen.push("nack"),
    onTimeout: () => seen.push("timeout 1"),
  });
  reg.register(2, 100, {
    onAck: () => seen.push("ack 2"),
    onTimeout: () => seen.push(`timeout 2 @${clock.nowMs()}`),
  });
  assert.equal(reg.nack(1), true);
  assert.equal(reg.nack(1), true);
  await clock.advance(50);
  assert.equal(reg.ack(1, Uint8Array.of(7), clock.nowMs()), true);
  assert.equal(reg.ack(1, null, clock.nowMs()), false, "handled once");
  await clock.advance(50);
  assert.deepEqual(seen, ["nack", "nack", "ack 7 @50", "timeout 2 @100"]);
  assert.equal(reg.size, 0);
  assert.deepEqual(directives, [
    schedule("ack:1", 100),
    schedule("ack:2", 100),
    halt("ack:1"),
  ], "the deadlines are asked of the shell; an ack cancels its own; a timeout needs no halt");
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("AckRegistry.timedOut() runs a handler once and ignores unknown numbers", () => {
  const reg = new AckRegistry(() => {}, 10);
  let timeouts = 0;
  reg.register(5, 100, { onAck: () => assert.fail("no ack came"), onTimeout: () => timeouts++ });
  reg.timedOut(6);
  reg.timedOut(5);
  reg.timedOut(5);
  assert.equal(timeouts, 1);
  assert.equal(reg.ack(5, null, 0), false, "a timed-out handler is gone");
});

Deno.test("AckRegistry.register() refuses beyond its bound and duplicate sequence numbers", () => {
  const { clock, directives, reg } = driven(2);
  const h = { onAck: () => {} };
  assert.equal(reg.register(1, 10, h), true);
  assert.equal(reg.register(1, 10, h), false);
  assert.equal(reg.register(2, 10, h), true);
  assert.equal(reg.register(3, 10, h), false);
  assert.equal(directives.length, 2, "a refused registration asks for no timer");
  reg.clear();
  assert.equal(reg.size, 0);
  assert.deepEqual(directives.slice(2), [halt("ack:1"), halt("ack:2")]);
  assert.equal(clock.pendingTimers, 0, "clear() cancels every deadline");
});
