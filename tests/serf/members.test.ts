import assert from "node:assert/strict";
import { type MemberEvent, MemberStatus, MemberTable } from "../../lib/serf/members.ts";
import { nodeInfo } from "../_support/serf_harness.ts";
import { NodeState } from "../../lib/gossip/wire/messages.ts";

function table(nowMs = () => 0) {
  const events: MemberEvent[] = [];
  const t = new MemberTable({ recentIntentsMax: 3, nowMs, emit: (e) => events.push(e) });
  return { t, events, types: () => events.map((e) => `${e.type}:${e.members[0]!.name}`) };
}

Deno.test("MemberTable.onJoin() adds an alive member with decoded tags and emits member-join", () => {
  const { t, types } = table();
  t.onJoin(nodeInfo("b", 7947, { role: "db" }));
  const b = t.get("b")!;
  assert.equal(b.status, MemberStatus.Alive);
  assert.equal(b.tags.get("role"), "db");
  assert.equal(b.host, "127.0.0.1");
  assert.deepEqual(types(), ["member-join:b"]);
});

Deno.test("MemberTable leave intent then onLeave: alive → leaving → left with member-leave", () => {
  const { t, types } = table();
  t.onJoin(nodeInfo("b", 7947));
  assert.equal(t.leaveIntent("b", 5, false), "accepted");
  assert.equal(t.get("b")!.status, MemberStatus.Leaving);
  assert.equal(t.leaveIntent("b", 5, false), "ignored", "same LTime is stale");
  t.onLeave({ ...nodeInfo("b", 7947), state: NodeState.Left });
  assert.equal(t.get("b")!.status, MemberStatus.Left);
  assert.deepEqual(types(), ["member-join:b", "member-leave:b"]);
});

Deno.test("MemberTable.onLeave() without an intent marks the member failed; force-leave makes it left", () => {
  const { t, types } = table();
  t.onJoin(nodeInfo("b", 7947));
  t.onLeave(nodeInfo("b", 7947));
  assert.equal(t.get("b")!.status, MemberStatus.Failed);
  assert.equal(t.leaveIntent("b", 2, false), "accepted");
  assert.equal(t.get("b")!.status, MemberStatus.Left);
  assert.deepEqual(types(), ["member-join:b", "member-failed:b", "member-leave:b"]);
});

Deno.test("MemberTable join intent brings a leaving member back to alive only when newer", () => {
  const { t } = table();
  t.onJoin(nodeInfo("b", 7947));
  t.leaveIntent("b", 4, false);
  assert.equal(t.joinIntent("b", 3), false);
  assert.equal(t.get("b")!.status, MemberStatus.Leaving);
  assert.equal(t.joinIntent("b", 6), true);
  assert.equal(t.get("b")!.status, MemberStatus.Alive);
  assert.equal(t.statusLTimes().get("b"), 6);
});

Deno.test("MemberTable buffers intents for unknown names, newest wins, bounded by recentIntentsMax", () => {
  const { t } = table();
  assert.equal(t.leaveIntent("x", 3, false), "accepted");
  assert.equal(t.joinIntent("x", 2), false, "older than the buffered leave");
  assert.equal(t.joinIntent("y", 1), true);
  assert.equal(t.joinIntent("z", 1), true);
  assert.equal(t.joinIntent("w", 1), false, "buffer full");
  assert.equal(t.intentsDropped, 1);
  t.onJoin(nodeInfo("x", 1));
  assert.equal(t.get("x")!.status, MemberStatus.Leaving);
  assert.equal(t.statusLTimes().get("x"), 3);
});

Deno.test("MemberTable leave intent about ourselves while alive asks for a refutation", () => {
  const { t } = table();
  t.onJoin(nodeInfo("a", 7946));
  assert.equal(t.leaveIntent("a", 9, false, "a"), "refute");
  assert.equal(t.get("a")!.status, MemberStatus.Alive);
});

Deno.test("MemberTable prune erases the member with member-reap; reap honours timeouts", () => {
  let now = 0;
  const { t, types } = table(() => now);
  t.onJoin(nodeInfo("b", 1));
  t.onJoin(nodeInfo("c", 2));
  t.onJoin(nodeInfo("d", 3));
  t.leaveIntent("b", 2, true);
  assert.equal(t.get("b"), undefined);
  t.onLeave(nodeInfo("c", 2)); // failed at 0
  t.leaveIntent("d", 2, false);
  now = 50;
  t.onLeave(nodeInfo("d", 3)); // left at 50
  now = 101;
  t.reap(100, 100);
  assert.equal(t.get("c"), undefined);
  assert.ok(t.get("d"));
  now = 151;
  t.reap(100, 100);
  assert.equal(t.get("d"), undefined);
  assert.deepEqual(types().filter((x) => x.startsWith("member-reap")), [
    "member-reap:b",
    "member-reap:c",
    "member-reap:d",
  ]);
});
