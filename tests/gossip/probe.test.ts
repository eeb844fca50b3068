import assert from "node:assert/strict";
import { gossipConfig } from "../../lib/gossip/config.ts";
import type { GossipDelegate, NodeInfo } from "../../lib/gossip/types.ts";
import { MessageType, NodeState, type Ping } from "../../lib/gossip/wire/messages.ts";
import { type CoreHarness, coreHarness, emptyDelegate } from "../_support/cluster.ts";

const FROM = { host: "10.1.0.250", port: 7946 };

/** Advances until the core sends a probe ping; returns it and its target name. */
async function nextProbe(h: CoreHarness): Promise<Ping> {
  for (let i = 0; i < 2000; i++) {
    await h.clock.advance(1);
    const ping = h.sentMessages().map((s) => s.msg).find((m) => m.type === MessageType.Ping);
    if (ping && ping.type === MessageType.Ping) return ping;
  }
  throw new Error("No probe within 2 s");
}

Deno.test("Prober: no ack → indirect pings with nacks and a TCP ping, then suspicion", async () => {
  const h = coreHarness({ loops: true, config: gossipConfig("lan", { gossipIntervalMs: 0 }) });
  h.addPeers(3);
  const ping = await nextProbe(h);
  const sentAt = h.clock.nowMs();
  assert.equal(ping.sourceNode, "self");
  await h.clock.advanceTo(sentAt + 499);
  assert.equal(h.sentMessages().length, 0);
  await h.clock.advanceTo(sentAt + 500);
  const indirect = h.sentMessages().filter((s) => s.msg.type === MessageType.IndirectPing);
  assert.equal(indirect.length, 2, "the two other alive peers help");
  for (const s of indirect) {
    assert.ok(s.msg.type === MessageType.IndirectPing);
    assert.equal(s.msg.seqNo, ping.seqNo);
    assert.equal(s.msg.node, ping.node);
    assert.equal(s.msg.nack, true, "peers with pmax 5 are asked for nacks");
  }
  const [tcp] = h.take("tcp-ping");
  assert.equal(tcp?.node, ping.node);
  assert.equal(tcp?.deadlineMs, sentAt + 1000);
  h.core.onTcpPingResult(ping.seqNo, false);
  h.core.onMessage({ type: MessageType.Nack, seqNo: ping.seqNo }, FROM);
  await h.clock.advanceTo(sentAt + 1000);
  assert.equal(h.core.member(ping.node)?.state, NodeState.Suspect);
  assert.equal(h.core.membership.awareness.score, 1, "2 nacks expected, 1 received");
  assert.equal(h.core.counters.probeFailures, 1);
});

Deno.test("Prober: an ack relayed by a helper also lowers the health score", async () => {
  const h = coreHarness({ loops: true, config: gossipConfig("lan", { gossipIntervalMs: 0 }) });
  h.addPeers(3);
  h.core.membership.awareness.applyDelta(1);
  const ping = await nextProbe(h);
  await h.clock.advance(700);
  h.core.onMessage({ type: MessageType.Ack, seqNo: ping.seqNo, payload: null }, FROM);
  assert.equal(h.core.membership.awareness.score, 0);
  assert.equal(h.core.member(ping.node)?.state, NodeState.Alive);
});

Deno.test("Prober: a direct ack lowers the health score and reports the RTT", async () => {
  const completed: [string, number][] = [];
  const delegate: GossipDelegate = {
    ...emptyDelegate(),
    notifyPingComplete: (n: NodeInfo, rttMs: number) => completed.push([n.name, rttMs]),
  };
  const h = coreHarness({
    loops: true,
    delegate,
    config: gossipConfig("lan", { gossipIntervalMs: 0 }),
  });
  h.addPeers(3);
  h.core.membership.awareness.applyDelta(3);
  const ping = await nextProbe(h);
  await h.clock.advance(40);
  h.core.onMessage({ type: MessageType.Ack, seqNo: ping.seqNo, payload: null }, FROM);
  assert.equal(h.core.membership.awareness.score, 2);
  assert.deepEqual(completed, [[ping.node, 40]]);
  await h.clock.advance(900);
  assert.equal(h.core.counters.probeFailures, 0);
  assert.equal(h.core.counters.indirectProbes, 0);
});

Deno.test("Prober: a successful TCP ping alone saves the probe", async () => {
  const h = coreHarness({ loops: true, config: gossipConfig("lan", { gossipIntervalMs: 0 }) });
  h.addPeers(3);
  h.core.membership.awareness.applyDelta(2);
  const ping = await nextProbe(h);
  const deadlineMs = h.clock.nowMs() + 3000; // health 2 triples the probe deadline
  await h.clock.advance(600);
  h.core.onTcpPingResult(ping.seqNo, true);
  await h.clock.advanceTo(deadlineMs - 1);
  assert.equal(h.core.membership.awareness.score, 2, "the probe waits for its deadline");
  await h.clock.advanceTo(deadlineMs);
  assert.equal(h.core.member(ping.node)?.state, NodeState.Alive);
  assert.equal(h.core.counters.probeFailures, 0);
  assert.equal(h.core.membership.awareness.score, 1, "a TCP-only success still counts");
});

Deno.test("Prober: a suspect target gets a ping + suspect compound with a CRC", async () => {
  const h = coreHarness({ loops: true, config: gossipConfig("lan", { gossipIntervalMs: 0 }) });
  h.addPeers(1);
  h.core.onMessage({ type: MessageType.Suspect, incarnation: 1, node: "peer-1", from: "x" }, FROM);
  for (let i = 0; i < 200; i++) {
    await h.clock.advance(10);
    const packets = h.take("packet");
    const p = packets.find((e) => e.parts.length === 2);
    if (!p) continue;
    assert.equal(p.crc, true);
    assert.equal(p.to.host, "10.1.0.1");
    return;
  }
  assert.fail("no ping + suspect compound");
});

Deno.test("Prober.onIndirectPing() pings the target and relays its ack", () => {
  const h = coreHarness();
  h.core.onMessage({
    type: MessageType.IndirectPing,
    seqNo: 77,
    target: Uint8Array.of(10, 1, 0, 2),
    port: 7946,
    node: "peer-2",
    nack: true,
    sourceAddr: Uint8Array.of(10, 1, 0, 1),
    sourcePort: 7000,
    sourceNode: "peer-1",
  }, FROM);
  const [out] = h.sentMessages();
  assert.ok(out && out.msg.type === MessageType.Ping);
  assert.deepEqual(out.to, { host: "10.1.0.2", port: 7946 });
  assert.equal(out.msg.node, "peer-2");
  h.core.onMessage({ type: MessageType.Ack, seqNo: out.msg.seqNo, payload: null }, FROM);
  const [relay] = h.sentMessages();
  assert.deepEqual(relay?.to, { host: "10.1.0.1", port: 7000 });
  assert.deepEqual(relay?.msg, { type: MessageType.Ack, seqNo: 77, payload: null });
});

Deno.test("Prober.onIndirectPing() nacks after ProbeTimeout when asked to", async () => {
  const h = coreHarness();
  const req = {
    type: MessageType.IndirectPing as const,
    seqNo: 78,
    target: Uint8Array.of(10, 1, 0, 2),
    port: 7946,
    node: "peer-2",
    nack: true,
  };
  h.core.onMessage(req, FROM);
  h.take();
  await h.clock.advance(499);
  assert.equal(h.sentMessages().length, 0);
  await h.clock.advance(1);
  const [nack] = h.sentMessages();
  assert.deepEqual(nack?.to, FROM, "no source fields: answer the sender");
  assert.deepEqual(nack?.msg, { type: MessageType.Nack, seqNo: 78 });
});

Deno.test("Prober.onIndirectPing() refuses requests beyond pendingAcksMax", () => {
  const h = coreHarness({ config: gossipConfig("lan", { pendingAcksMax: 2 }) });
  for (let i = 0; i < 5; i++) {
    h.core.onMessage({
      type: MessageType.IndirectPing,
      seqNo: i,
      target: Uint8Array.of(10, 1, 0, 2),
      port: 7946,
      node: "peer-2",
      nack: false,
    }, FROM);
  }
  assert.equal(h.core.queueDepths().pendingAcks, 2);
  assert.equal(h.core.counters.pendingAcksRefused, 3);
});
