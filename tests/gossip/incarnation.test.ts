import assert from "node:assert/strict";
import { Incarnations } from "../../lib/gossip/incarnation.ts";

Deno.test("Incarnations refutes past an accusation and stops at the u32 limit", () => {
  const inc = new Incarnations();
  assert.equal(inc.next(), 1);
  assert.equal(inc.refuting(0), 2, "an older accusation: just the next number");
  assert.equal(inc.refuting(2), 3);
  assert.equal(inc.refuting(9), 10, "jumps past the accused incarnation");
  assert.equal(inc.next(0xffffffff - 11), 0xffffffff - 1);
  assert.equal(inc.next(), 0xffffffff);
  assert.throws(() => inc.next(), /exhausted/);
  assert.throws(() => inc.refuting(5), /exhausted/);
});
