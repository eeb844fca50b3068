import assert from "node:assert/strict";
import { gossipConfig } from "../../lib/gossip/config.ts";
import { pushPullScaleMs } from "../../lib/gossip/swim_core.ts";
import type { GossipDelegate } from "../../lib/gossip/types.ts";
import { ProtocolVersionError } from "../../lib/gossip/version_check.ts";
import {
  decodeMessage,
  MessageType,
  NodeState,
  type PushNodeState,
} from "../../lib/gossip/wire/messages.ts";
import { coreHarness, emptyDelegate } from "../_support/cluster.ts";

const FROM = { host: "10.1.0.250", port: 7946 };
const VSN = Uint8Array.from([1, 5, 2, 2, 5, 5]);

function remote(i: number, state: NodeState, incarnation: number, vsn = VSN): PushNodeState {
  return {
    name: `peer-${i}`,
    addr: Uint8Array.of(10, 1, 0, i),
    port: 7946,
    meta: new Uint8Array(),
    incarnation,
    state,
    vsn,
  };
}

Deno.test("SwimCore.mergeRemote() applies the §6.7 push/pull table", () => {
  const h = coreHarness();
  h.addPeers(4);
  h.core.mergeRemote({
    nodes: [
      remote(1, NodeState.Alive, 3),
      remote(2, NodeState.Left, 1),
      remote(3, NodeState.Dead, 1),
      remote(4, NodeState.Suspect, 1),
      remote(5, NodeState.Alive, 1),
    ],
    userState: new Uint8Array(),
  }, false);
  const state = (n: string) => h.core.member(n)?.state;
  assert.equal(state("peer-1"), NodeState.Alive);
  assert.equal(h.core.member("peer-1")?.incarnation, 3);
  assert.equal(state("peer-2"), NodeState.Left);
  assert.equal(state("peer-3"), NodeState.Suspect, "a remote death is softened to a suspicion");
  assert.equal(state("peer-4"), NodeState.Suspect);
  assert.equal(state("peer-5"), NodeState.Alive, "new nodes are learnt");
});

Deno.test("SwimCore.mergeRemote() makes a restarted node refute its old death", () => {
  const h = coreHarness();
  const me = h.core.localNode();
  h.core.mergeRemote({
    nodes: [{ ...remote(1, NodeState.Dead, 5), name: "self", addr: me.addr }],
    userState: new Uint8Array(),
  }, true);
  assert.equal(h.core.localNode().incarnation, 6);
  assert.equal(h.core.localNode().state, NodeState.Alive);
});

Deno.test("SwimCore.mergeRemote() hands user state to the delegate only when present", () => {
  const got: [number, boolean][] = [];
  const delegate: GossipDelegate = {
    ...emptyDelegate(),
    mergeRemoteState: (s, join) => got.push([s.length, join]),
    localState: (join) => Uint8Array.of(join ? 1 : 0),
  };
  const h = coreHarness({ delegate });
  h.core.mergeRemote({ nodes: [], userState: new Uint8Array() }, true);
  h.core.mergeRemote({ nodes: [], userState: Uint8Array.of(1, 2) }, true);
  assert.deepEqual(got, [[2, true]]);
  const local = h.core.localPushPull(true);
  assert.deepEqual([...local.userState], [1]);
  assert.deepEqual(local.nodes.map((n) => [n.name, n.state, n.incarnation]), [[
    "self",
    NodeState.Alive,
    1,
  ]]);
});

Deno.test("SwimCore.mergeRemote() refuses incompatible protocol versions and merges nothing", () => {
  const h = coreHarness();
  // A peer that only speaks memberlist protocol 3..5 but runs 3: our pcur 2 is outside [3, 5].
  const picky = remote(1, NodeState.Alive, 1, Uint8Array.from([3, 5, 3, 2, 5, 5]));
  assert.throws(
    () => h.core.mergeRemote({ nodes: [picky], userState: new Uint8Array() }, true),
    ProtocolVersionError,
  );
  assert.equal(h.core.member("peer-1"), undefined);
  const short = remote(2, NodeState.Alive, 1, Uint8Array.from([1, 5]));
  assert.throws(
    () => h.core.mergeRemote({ nodes: [short], userState: new Uint8Array() }, true),
    ProtocolVersionError,
    "a missing Vsn counts as version 0",
  );
  h.core.mergeRemote({ nodes: [remote(3, NodeState.Alive, 1)], userState: new Uint8Array() }, true);
  assert.equal(h.core.member("peer-3")?.state, NodeState.Alive);
});

Deno.test("SwimCore.leave() broadcasts dead{From: self} and reports when it is fully sent", () => {
  const h = coreHarness();
  h.addPeers(3);
  // Drain the alive broadcasts so only the leave remains.
  while (h.core.getBroadcasts(2, 1400).length > 0);
  let sent = false;
  assert.equal(h.core.leave(() => (sent = true)), true);
  assert.equal(h.core.localNode().state, NodeState.Left);
  let transmissions = 0;
  for (let i = 0; i < 10 && !sent; i++) {
    const parts = h.core.getBroadcasts(2, 1400);
    for (const p of parts) {
      assert.deepEqual(decodeMessage(p), {
        type: MessageType.Dead,
        incarnation: 1,
        node: "self",
        from: "self",
      });
    }
    transmissions += parts.length;
  }
  assert.equal(sent, true);
  assert.equal(transmissions, 4, "retransmit limit for 4 nodes");
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "self", from: "peer-1" },
    FROM,
  );
  h.core.onMessage(h.alive(1, 9, { node: "self", addr: Uint8Array.of(10, 1, 0, 100) }), FROM);
  assert.equal(h.core.counters.refutations, 0, "a node that left does not refute");
});

Deno.test("SwimCore.leave() peers mark a node that left as Left", () => {
  const a = coreHarness({ name: "a" });
  const b = coreHarness({ name: "b" });
  b.core.onMessage({ ...b.alive(1, 1), node: "a", addr: Uint8Array.of(10, 1, 0, 100) }, FROM);
  assert.equal(a.core.leave(() => {}), false, "nobody else alive: nothing to wait for");
  for (const part of a.core.getBroadcasts(2, 1400)) b.core.onMessage(decodeMessage(part), FROM);
  assert.equal(b.core.member("a")?.state, NodeState.Left);
  assert.equal(b.take("member-leave")[0]?.node.state, NodeState.Left);
});

Deno.test("SwimCore.onMessage() answers a ping for us with the delegate's ack payload", () => {
  const delegate = { ...emptyDelegate(), ackPayload: () => Uint8Array.of(9) };
  const h = coreHarness({ delegate });
  h.take();
  h.core.onMessage({
    type: MessageType.Ping,
    seqNo: 5,
    node: "self",
    sourceAddr: Uint8Array.of(10, 1, 0, 7),
    sourcePort: 7001,
  }, FROM);
  h.core.onMessage({ type: MessageType.Ping, seqNo: 6, node: "" }, FROM);
  h.core.onMessage({ type: MessageType.Ping, seqNo: 7, node: "someone-else" }, FROM);
  const acks = h.sentMessages().filter((s) => s.msg.type === MessageType.Ack);
  assert.deepEqual(acks.map((s) => [s.to, s.msg]), [
    [{ host: "10.1.0.7", port: 7001 }, {
      type: MessageType.Ack,
      seqNo: 5,
      payload: Uint8Array.of(9),
    }],
    [FROM, { type: MessageType.Ack, seqNo: 6, payload: Uint8Array.of(9) }],
  ]);
  assert.deepEqual(h.core.answerStreamPing({ type: MessageType.Ping, seqNo: 8, node: "x" }), null);
  assert.deepEqual(h.core.answerStreamPing({ type: MessageType.Ping, seqNo: 8, node: "self" }), {
    type: MessageType.Ack,
    seqNo: 8,
    payload: null,
  });
});

Deno.test("SwimCore gossip: piggybacks memberlist then delegate broadcasts, CRC for pmax ≥ 5", async () => {
  const delegate = { ...emptyDelegate(), getBroadcasts: () => [Uint8Array.of(3, 1, 2)] };
  const h = coreHarness({
    delegate,
    loops: true,
    config: gossipConfig("lan", {
      probeIntervalMs: 60_000,
      probeTimeoutMs: 500,
      pushPullIntervalMs: 0,
    }),
  });
  h.core.onMessage(h.alive(1, 1), FROM);
  h.core.onMessage(h.alive(2, 1, { vsn: Uint8Array.from([1, 4, 2, 2, 5, 5]) }), FROM);
  h.take();
  await h.clock.advance(400);
  const packets = h.take("packet");
  assert.ok(packets.length >= 2);
  for (const p of packets) {
    assert.equal(p.crc, p.to.host === "10.1.0.1", "CRC only for the pmax 5 peer");
    const types = p.parts.map((part) => part[0]);
    assert.equal(types[types.length - 1], MessageType.User, "delegate broadcasts come last");
    assert.deepEqual([...p.parts[p.parts.length - 1]!], [MessageType.User, 3, 1, 2]);
  }
});

Deno.test("SwimCore.sendUser() sends a bare user message without piggyback or CRC", () => {
  const h = coreHarness();
  h.take();
  h.core.sendUser({ host: "10.1.0.3", port: 7946 }, Uint8Array.of(4, 4));
  assert.deepEqual(h.take("packet").map((p) => [p.parts.map((x) => [...x]), p.crc]), [[
    [[8, 4, 4]],
    false,
  ]]);
});

Deno.test("pushPullScaleMs() grows the interval above 32 nodes as memberlist", () => {
  assert.equal(pushPullScaleMs(30_000, 32), 30_000);
  assert.equal(pushPullScaleMs(30_000, 33), 60_000);
  assert.equal(pushPullScaleMs(30_000, 64), 60_000);
  assert.equal(pushPullScaleMs(30_000, 65), 90_000);
  assert.equal(pushPullScaleMs(30_000, 128), 90_000);
});

Deno.test("SwimCore reaps dead nodes after GossipToTheDeadTime, freeing the name", async () => {
  const h = coreHarness({
    loops: true,
    config: gossipConfig("lan", { gossipIntervalMs: 0, pushPullIntervalMs: 0 }),
  });
  h.addPeers(2);
  h.core.onMessage(
    { type: MessageType.Dead, incarnation: 1, node: "peer-1", from: "peer-2" },
    FROM,
  );
  h.core.onMessage(h.alive(2, 1, { node: "peer-1", addr: Uint8Array.of(10, 9, 9, 9) }), FROM);
  assert.equal(h.core.counters.conflicts, 1);
  // Keep peer-2 answering so probes do not suspect it.
  for (let t = 0; t < 35_000; t += 10) {
    await h.clock.advance(10);
    for (const s of h.sentMessages()) {
      if (s.msg.type === MessageType.Ping) {
        h.core.onMessage({ type: MessageType.Ack, seqNo: s.msg.seqNo, payload: null }, FROM);
      }
    }
  }
  assert.equal(h.core.member("peer-1"), undefined, "reaped on a probe wrap after 30 s");
  h.core.onMessage(h.alive(2, 1, { node: "peer-1", addr: Uint8Array.of(10, 9, 9, 9) }), FROM);
  assert.equal(h.core.members().find((m) => m.name === "peer-1")?.host, "10.9.9.9");
});

Deno.test("SwimCore.updateMeta() refuses metadata over 512 bytes as memberlist does", () => {
  let meta = new Uint8Array(512);
  const h = coreHarness({ delegate: { ...emptyDelegate(), nodeMeta: () => meta } });
  meta = new Uint8Array(513);
  assert.throws(() => h.core.updateMeta(), RangeError);
  assert.equal(h.core.localNode().incarnation, 1);
});

Deno.test("SwimCore staggers its first push/pull over the interval, or over firstPushPullWithinMs", async () => {
  const firstPushPull = async (seed: number, within?: number) => {
    // No probing within the test, so the peers stay alive as push/pull partners.
    const config = gossipConfig("lan", { probeIntervalMs: 1_000_000, probeTimeoutMs: 500 });
    const h = coreHarness({
      seed,
      loops: true,
      config,
      ...(within ? { firstPushPullWithinMs: within } : {}),
    });
    h.addPeers(3);
    for (let t = 0; t < 400; t++) {
      await h.clock.advance(1000);
      if (h.take("push-pull").length > 0) return h.clock.nowMs();
    }
    return Infinity;
  };
  const byDefault = await Promise.all(Array.from({ length: 20 }, (_, i) => firstPushPull(i + 1)));
  assert.ok(byDefault.every((t) => t <= 30_000), `${byDefault}`);
  const spread = await Promise.all(
    Array.from({ length: 20 }, (_, i) => firstPushPull(i + 1, 270_000)),
  );
  assert.ok(spread.every((t) => t <= 270_000), `${spread}`);
  assert.ok(spread.some((t) => t > 60_000), `${spread}`);
});

Deno.test("SwimCore admit: refused names never enter the table, by gossip or push/pull", () => {
  const asked: string[] = [];
  const h = coreHarness({
    admit: (node) => {
      asked.push(node);
      return node !== "peer-2" && node !== "peer-4";
    },
  });
  assert.ok(!asked.includes("self"), "our own name is not asked");
  h.take();
  h.core.onMessage(h.alive(1, 1), FROM);
  h.core.onMessage(h.alive(2, 1), FROM);
  assert.deepEqual(h.take("member-join").map((e) => e.node.name), ["peer-1"]);
  const ignored = h.core.counters.messagesIgnored;
  h.core.onMessage(
    { type: MessageType.Suspect, incarnation: 1, node: "peer-2", from: "peer-1" },
    FROM,
  );
  h.core.onMessage(
    { type: MessageType.Dead, incarnation: 1, node: "peer-2", from: "peer-1" },
    FROM,
  );
  assert.equal(h.core.member("peer-2"), undefined, "suspect/dead of a refused name change nothing");
  assert.ok(h.core.counters.messagesIgnored > ignored);
  h.core.mergeRemote({
    nodes: [remote(3, NodeState.Alive, 1), remote(4, NodeState.Alive, 1)],
    userState: new Uint8Array(),
  }, true);
  assert.ok(h.core.member("peer-3"), "an admitted name from a push/pull is learnt");
  assert.equal(h.core.member("peer-4"), undefined, "a refused one is not");
  assert.deepEqual(h.take("member-join").map((e) => e.node.name), ["peer-3"]);
  assert.equal(
    h.core.membership.broadcasts.snapshot().some((b) =>
      decodeMessage(b.broadcast.message).type === MessageType.Alive &&
      (decodeMessage(b.broadcast.message) as { node: string }).node === "peer-4"
    ),
    false,
    "a refused alive is not relayed",
  );
});
