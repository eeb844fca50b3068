import assert from "node:assert/strict";
import { gossipConfig } from "../../lib/gossip/config.ts";
import { type Message, MessageType, NodeState } from "../../lib/gossip/wire/messages.ts";
import { decodeMessage } from "../../lib/gossip/wire/messages.ts";
import { type CoreHarness, coreHarness } from "../_support/cluster.ts";

const FROM = { host: "10.1.0.250", port: 7946 };

/** The memberlist broadcasts currently queued, decoded. */
function queued(h: CoreHarness): Message[] {
  return h.core.membership.broadcasts.snapshot().map((s) => decodeMessage(s.broadcast.message));
}

function stateOf(h: CoreHarness, name: string): [NodeState, number] | undefined {
  const m = h.core.member(name);
  return m ? [m.state, m.incarnation] : undefined;
}

Deno.test("SwimCore.onMessage() refutes suspicion with a higher incarnation", () => {
  const h = coreHarness();
  h.addPeers(3);
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "self", from: "peer-1" },
    FROM,
  );
  assert.deepEqual(stateOf(h, "self"), [NodeState.Alive, 2]);
  assert.equal(h.core.counters.refutations, 1);
  assert.equal(h.core.membership.awareness.score, 1, "refuting costs one health point");
  const alive = queued(h).find((m) => m.type === MessageType.Alive && m.node === "self");
  assert.ok(alive && alive.type === MessageType.Alive);
  assert.equal(alive.incarnation, 2);
});

Deno.test("SwimCore.onMessage() refutes past an accusation at a higher incarnation", () => {
  const h = coreHarness();
  h.core.onMessage({ type: MessageType.Dead, incarnation: 7, node: "self", from: "peer-1" }, FROM);
  assert.deepEqual(stateOf(h, "self"), [NodeState.Alive, 8]);
  h.core.onMessage(
    h.alive(1, 1, { node: "self", addr: Uint8Array.of(10, 1, 0, 100), incarnation: 12 }),
    FROM,
  );
  assert.deepEqual(
    stateOf(h, "self"),
    [NodeState.Alive, 13],
    "an alive for us at a higher incarnation",
  );
});

Deno.test("SwimCore.onMessage() ignores an alive for us identical to ours", () => {
  const h = coreHarness();
  const me = h.core.localNode();
  h.core.onMessage({
    type: MessageType.Alive,
    incarnation: 1,
    node: "self",
    addr: me.addr,
    port: me.port,
    meta: me.meta,
    vsn: me.vsn,
  }, FROM);
  assert.equal(h.core.counters.refutations, 0);
  assert.deepEqual(stateOf(h, "self"), [NodeState.Alive, 1]);
});

Deno.test("SwimCore.onMessage() alive: join for new nodes, update for new meta, stale ignored", () => {
  const h = coreHarness();
  h.take();
  h.core.onMessage(h.alive(1, 3), FROM);
  assert.deepEqual(h.take("member-join").map((e) => e.node.name), ["peer-1"]);
  h.core.onMessage(h.alive(1, 3, { meta: Uint8Array.of(1) }), FROM);
  h.core.onMessage(h.alive(1, 2, { meta: Uint8Array.of(1) }), FROM);
  assert.equal(h.take().length, 0, "same or lower incarnation is ignored");
  h.core.onMessage(h.alive(1, 4, { meta: Uint8Array.of(1) }), FROM);
  assert.deepEqual(h.take("member-update").map((e) => [...e.node.meta]), [[1]]);
  h.core.onMessage(h.alive(2, 1, { vsn: Uint8Array.of(3, 2, 2, 2, 5, 5) }), FROM);
  assert.equal(h.core.member("peer-2"), undefined, "pmin > pmax is refused");
});

Deno.test("SwimCore.onMessage() suspect: a suspect node dies after the suspicion timeout", async () => {
  const h = coreHarness();
  h.addPeers(3); // n = 4: min 4 s, max 24 s, k = 2
  h.take();
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "peer-2", from: "peer-1" },
    FROM,
  );
  assert.deepEqual(stateOf(h, "peer-2"), [NodeState.Suspect, 1]);
  await h.clock.advance(23_999);
  assert.deepEqual(stateOf(h, "peer-2"), [NodeState.Suspect, 1]);
  await h.clock.advance(1);
  assert.deepEqual(stateOf(h, "peer-2"), [NodeState.Dead, 1]);
  assert.deepEqual(h.take("member-leave").map((e) => [e.node.name, e.node.state]), [[
    "peer-2",
    NodeState.Dead,
  ]]);
  const dead = queued(h).find((m) => m.type === MessageType.Dead);
  assert.deepEqual(dead, { type: MessageType.Dead, incarnation: 1, node: "peer-2", from: "self" });
});

Deno.test("SwimCore.onMessage() suspect: a confirmation shrinks the timeout to 11.381 s", async () => {
  const h = coreHarness();
  h.addPeers(3);
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "peer-2", from: "peer-1" },
    FROM,
  );
  await h.clock.advance(1000);
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "peer-2", from: "peer-1" },
    FROM,
  );
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "peer-2", from: "peer-3" },
    FROM,
  );
  await h.clock.advanceTo(11_380);
  assert.equal(stateOf(h, "peer-2")![0], NodeState.Suspect);
  await h.clock.advanceTo(11_381);
  assert.equal(stateOf(h, "peer-2")![0], NodeState.Dead);
});

Deno.test("SwimCore.onMessage() suspect: an alive at a higher incarnation clears the suspicion", async () => {
  const h = coreHarness();
  h.addPeers(3);
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "peer-2", from: "peer-1" },
    FROM,
  );
  h.core.onMessage(h.alive(2, 1), FROM);
  assert.equal(stateOf(h, "peer-2")![0], NodeState.Suspect, "same incarnation does not refute");
  h.core.onMessage(h.alive(2, 2), FROM);
  assert.deepEqual(stateOf(h, "peer-2"), [NodeState.Alive, 2]);
  await h.clock.advance(60_000);
  assert.deepEqual(stateOf(h, "peer-2"), [NodeState.Alive, 2]);
});

Deno.test("SwimCore.onMessage() dead: from == node is a leave, otherwise a death; stale ignored", () => {
  const h = coreHarness();
  h.addPeers(3);
  h.core.onMessage(
    { type: MessageType.Dead, incarnation: 0, node: "peer-1", from: "peer-2" },
    FROM,
  );
  assert.equal(stateOf(h, "peer-1")![0], NodeState.Alive, "lower incarnation");
  h.core.onMessage(
    { type: MessageType.Dead, incarnation: 1, node: "peer-1", from: "peer-1" },
    FROM,
  );
  h.core.onMessage(
    { type: MessageType.Dead, incarnation: 1, node: "peer-2", from: "peer-3" },
    FROM,
  );
  assert.equal(stateOf(h, "peer-1")![0], NodeState.Left);
  assert.equal(stateOf(h, "peer-2")![0], NodeState.Dead);
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 5, node: "peer-2", from: "peer-3" },
    FROM,
  );
  assert.equal(stateOf(h, "peer-2")![0], NodeState.Dead, "a dead node cannot become suspect");
});

Deno.test("SwimCore.onMessage() alive at another address is a conflict unless the node left", () => {
  const h = coreHarness();
  h.addPeers(2);
  h.take();
  const moved = { addr: Uint8Array.of(10, 9, 9, 9) };
  h.core.onMessage(h.alive(1, 5, moved), FROM);
  const [c] = h.take("conflict");
  assert.equal(c?.existing.host, "10.1.0.1");
  assert.equal(c?.other.host, "10.9.9.9");
  assert.deepEqual(stateOf(h, "peer-1"), [NodeState.Alive, 1]);
  h.core.onMessage(
    { type: MessageType.Dead, incarnation: 1, node: "peer-1", from: "peer-1" },
    FROM,
  );
  h.core.onMessage(h.alive(1, 1, moved), FROM);
  assert.equal(h.core.members().find((m) => m.name === "peer-1")?.host, "10.9.9.9");
  assert.equal(h.take("member-join").length, 1);
});

Deno.test("SwimCore.onMessage() a dead node may move only after deadNodeReclaimTimeMs", async () => {
  const h = coreHarness({ config: gossipConfig("lan", { deadNodeReclaimTimeMs: 10_000 }) });
  h.addPeers(2);
  h.core.onMessage(
    { type: MessageType.Dead, incarnation: 1, node: "peer-1", from: "peer-2" },
    FROM,
  );
  h.core.onMessage(h.alive(1, 1, { addr: Uint8Array.of(10, 9, 9, 9) }), FROM);
  assert.equal(h.core.counters.conflicts, 1);
  await h.clock.advance(10_001);
  h.core.onMessage(h.alive(1, 1, { addr: Uint8Array.of(10, 9, 9, 9) }), FROM);
  assert.equal(stateOf(h, "peer-1")![0], NodeState.Alive);
});

Deno.test("SwimCore.onMessage() drops alive messages for new names beyond nodeTableMax", () => {
  const h = coreHarness({ config: gossipConfig("lan", { nodeTableMax: 3 }) });
  h.addPeers(5);
  assert.equal(h.core.members().length, 3);
  assert.equal(h.core.counters.nodeTableFull, 3);
});
