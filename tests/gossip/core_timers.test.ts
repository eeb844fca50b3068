/**
 * The SWIM core's one-shot timers as directives (issue 14): a suspicion's timeout, a probe's
 * indirect stage and ack deadlines are asked of the shell as `timer` effects, and the core acts
 * when the shell hands the firing back (`timerFired`), on virtual time.
 */
import assert from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { gossipConfig } from "../../lib/gossip/config.ts";
import type { GossipEffect } from "../../lib/gossip/effects.ts";
import { halt, schedule, type TimerDirective } from "../../lib/gossip/loops.ts";
import { SwimCore } from "../../lib/gossip/swim_core.ts";
import { MessageType, NodeState, type Ping } from "../../lib/gossip/wire/messages.ts";
import { type CoreHarness, coreHarness, emptyDelegate } from "../_support/cluster.ts";

const FROM = { host: "10.1.0.250", port: 7946 };

function suspect(h: CoreHarness, node: string, from: string): void {
  h.core.onMessage({ type: MessageType.Suspect, incarnation: 1, node, from }, FROM);
}

Deno.test("core timers: a suspicion's timeout is a directive, shortened by a confirmation, and its firing declares the node dead", async () => {
  const h = coreHarness();
  h.addPeers(5); // 6 nodes: LAN bounds 4 s .. 24 s, 2 confirmations expected
  h.directives.length = 0;
  suspect(h, "peer-1", "peer-2");
  assert.deepEqual(h.directives, [schedule("suspicion:peer-1", 24_000)]);
  await h.clock.advance(1000);
  suspect(h, "peer-1", "peer-3");
  // memberlist's remainingSuspicionTime: floor(1000 × (24 − ln 2 / ln 3 × 20)) = 11381, less 1 s.
  assert.deepEqual(h.directives.slice(1), [schedule("suspicion:peer-1", 10_381)]);
  assert.equal(h.clock.pendingTimers, 1, "the shortened timeout replaced the first");
  suspect(h, "peer-1", "peer-3");
  assert.equal(h.directives.length, 2, "a repeated accuser changes nothing");
  await h.clock.advanceTo(11_380);
  assert.equal(h.core.member("peer-1")?.state, NodeState.Suspect);
  await h.clock.advanceTo(11_381);
  assert.equal(h.core.member("peer-1")?.state, NodeState.Dead);
  assert.equal(h.core.counters.deathsDeclared, 1);
  assert.deepEqual(h.take("member-leave").map((e) => e.node.name), ["peer-1"]);
  assert.equal(h.clock.pendingTimers, 0);
  assert.equal(h.core.queueDepths().suspicions, 0);
});

Deno.test("core timers: a refutation halts the suspicion's timer", async () => {
  const h = coreHarness();
  h.addPeers(5);
  h.directives.length = 0;
  suspect(h, "peer-1", "peer-2");
  h.core.onMessage(h.alive(1, 2), FROM);
  assert.deepEqual(h.directives, [schedule("suspicion:peer-1", 24_000), halt("suspicion:peer-1")]);
  assert.equal(h.clock.pendingTimers, 0);
  await h.clock.advance(30_000);
  assert.equal(h.core.member("peer-1")?.state, NodeState.Alive);
});

/** Advances until the core sends a probe ping (the harness runs the probe loop only). */
async function nextProbe(h: CoreHarness): Promise<Ping> {
  for (let i = 0; i < 2000; i++) {
    await h.clock.advance(1);
    const ping = h.sentMessages().map((s) => s.msg).find((m) => m.type === MessageType.Ping);
    if (ping?.type === MessageType.Ping) return ping;
  }
  throw new Error("No probe within 2 s");
}

Deno.test("core timers: a probe asks for its ack deadline and indirect stage; the fired stage sends indirect pings", async () => {
  const h = coreHarness({ loops: true, config: gossipConfig("lan", { gossipIntervalMs: 0 }) });
  h.addPeers(3);
  const ping = await nextProbe(h);
  const sentAt = h.clock.nowMs();
  assert.deepEqual(h.directives.slice(-2), [
    schedule(`ack:${ping.seqNo}`, 1000),
    schedule(`indirect:${ping.seqNo}`, 500),
  ]);
  await h.clock.advanceTo(sentAt + 499);
  assert.equal(h.sentMessages().length, 0);
  await h.clock.advanceTo(sentAt + 500);
  const indirect = h.sentMessages().filter((s) => s.msg.type === MessageType.IndirectPing);
  assert.equal(indirect.length, 2, "the fired stage asks both other peers");
  h.core.onMessage({ type: MessageType.Ack, seqNo: ping.seqNo, payload: null }, FROM);
  assert.deepEqual(h.directives.slice(-1), [halt(`ack:${ping.seqNo}`)]);
  assert.equal(h.core.member(ping.node)?.state, NodeState.Alive);
});

Deno.test("core timers: an ack before the indirect stage halts both its timers", async () => {
  const h = coreHarness({ loops: true, config: gossipConfig("lan", { gossipIntervalMs: 0 }) });
  h.addPeers(3);
  const ping = await nextProbe(h);
  const sentAt = h.clock.nowMs();
  h.core.onMessage({ type: MessageType.Ack, seqNo: ping.seqNo, payload: null }, FROM);
  assert.deepEqual(h.directives.slice(-2), [
    halt(`ack:${ping.seqNo}`),
    halt(`indirect:${ping.seqNo}`),
  ]);
  await h.clock.advanceTo(sentAt + 999);
  assert.deepEqual(h.sentMessages(), [], "no indirect pings, no suspicion");
  assert.equal(h.core.counters.indirectProbes, 0);
});

Deno.test("core timers: the bare core sets no timer; the shell hands a firing back with timerFired", () => {
  const effects: GossipEffect[] = [];
  const core = new SwimCore({
    name: "self",
    advertise: { host: "10.1.0.100", port: 7946 },
    config: gossipConfig("lan"),
    delegate: emptyDelegate(),
    clock: { nowMs: () => 0 },
    prng: seededPrng(5),
    emit: (e) => effects.push(e),
  });
  core.announce();
  const timers = () => effects.flatMap((e) => e.kind === "timer" ? [e.directive] : []);
  for (const i of [1, 2, 3]) {
    core.onMessage({
      type: MessageType.Alive,
      incarnation: 1,
      node: `peer-${i}`,
      addr: Uint8Array.of(10, 1, 0, i),
      port: 7946,
      meta: new Uint8Array(),
      vsn: Uint8Array.from([1, 5, 2, 2, 5, 5]),
    }, FROM);
  }
  effects.length = 0;
  core.onMessage({ type: MessageType.Suspect, incarnation: 1, node: "peer-1", from: "x" }, FROM);
  const asked: TimerDirective[] = timers();
  assert.deepEqual(asked, [schedule("suspicion:peer-1", 24_000)]);
  assert.equal(core.timerFired("suspicion:peer-2"), null, "no suspicion of peer-2 runs");
  assert.equal(core.timerFired("ack:41"), null);
  assert.equal(core.timerFired("indirect:41"), null);
  assert.equal(core.member("peer-1")?.state, NodeState.Suspect);
  assert.equal(core.timerFired("suspicion:peer-1"), null);
  assert.equal(core.member("peer-1")?.state, NodeState.Dead);
  assert.equal(core.timerFired("suspicion:peer-1"), null, "a second firing is ignored");
  assert.equal(core.counters.deathsDeclared, 1);
});

Deno.test("core timers: stop() halts every pending timer and later firings do nothing", async () => {
  const h = coreHarness();
  h.addPeers(5);
  suspect(h, "peer-1", "peer-2");
  let acked: boolean | undefined;
  h.core.pingMember("peer-3", 2000, (ok) => (acked = ok));
  assert.equal(h.clock.pendingTimers, 2, "the suspicion and the ping's ack deadline");
  h.directives.length = 0;
  h.core.stop();
  assert.deepEqual(h.directives.map((d) => d.kind), ["halt", "halt"]);
  assert.equal(h.clock.pendingTimers, 0);
  assert.equal(h.core.timerFired("suspicion:peer-1"), null);
  assert.equal(h.core.member("peer-1")?.state, NodeState.Suspect, "no death after stop()");
  await h.clock.advance(30_000);
  assert.equal(acked, undefined, "a dropped ping's callback does not run");
});
