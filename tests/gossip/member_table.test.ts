import assert from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { type Member, MemberTable } from "../../lib/gossip/member_table.ts";
import { NodeState } from "../../lib/gossip/wire/messages.ts";

function member(name: string, state = NodeState.Alive, stateChangeMs = 0): Member {
  return {
    name,
    addr: Uint8Array.of(10, 0, 0, 1),
    port: 7946,
    meta: new Uint8Array(),
    incarnation: 1,
    state,
    vsn: Uint8Array.from([1, 5, 2, 2, 5, 5]),
    stateChangeMs,
  };
}

Deno.test("MemberTable.nextProbeTarget() visits every live node once per round, skipping self and dead", () => {
  const t = new MemberTable(seededPrng(3));
  for (const n of ["self", "a", "b", "c"]) t.add(member(n));
  t.add(member("gone", NodeState.Dead, 0));
  t.add(member("left", NodeState.Left, 0));
  const round = () =>
    Array.from({ length: 3 }, () => t.nextProbeTarget("self", 1000, 30_000)!.name);
  assert.deepEqual(round().sort(), ["a", "b", "c"]);
  assert.deepEqual(round().sort(), ["a", "b", "c"]);
  assert.equal(t.size, 6, "dead nodes stay within GossipToTheDeadTime");
});

Deno.test("MemberTable.nextProbeTarget() reaps old dead nodes on wrap and returns null when nobody is left", () => {
  const t = new MemberTable(seededPrng(3));
  t.add(member("self"));
  t.add(member("gone", NodeState.Dead, 0));
  const reaped: string[] = [];
  const onReaped = (g: Member[]) => reaped.push(...g.map((m) => m.name));
  // The first call walks the list to its end; the second wraps, reaps and shuffles.
  assert.equal(t.nextProbeTarget("self", 40_000, 30_000, onReaped), null);
  assert.equal(t.nextProbeTarget("self", 40_000, 30_000, onReaped), null);
  assert.deepEqual(reaped, ["gone"]);
  assert.equal(t.get("gone"), undefined);
  assert.equal(t.size, 1);
});

Deno.test("MemberTable.add() inserts at a random position and refuses duplicates", () => {
  const orders = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const t = new MemberTable(seededPrng(seed));
    for (const n of ["a", "b", "c", "d"]) t.add(member(n));
    orders.add(t.all().map((m) => m.name).join(""));
  }
  assert.ok(orders.size > 1, "new members do not always go last");
  const t = new MemberTable(seededPrng(1));
  t.add(member("a"));
  assert.throws(() => t.add(member("a")));
});

Deno.test("MemberTable.randomMembers() returns distinct members that pass the filter", () => {
  const t = new MemberTable(seededPrng(9));
  for (const n of ["a", "b", "c", "d", "e"]) t.add(member(n));
  const picked = t.randomMembers(3, (m) => m.name === "a");
  assert.equal(picked.length, 3);
  assert.equal(new Set(picked).size, 3);
  assert.ok(picked.every((m) => m.name !== "a"));
  assert.equal(
    t.randomMembers(10, () => false).length,
    5,
    "small tables are searched exhaustively",
  );
});
