/**
 * The idle gossip loop (issue 17): with nothing queued anywhere, the gossip loop stops ticking
 * (a round would send nothing, as memberlist's does), and a broadcast queued by the core or by
 * the delegate resumes it within one interval.
 */
import assert from "node:assert/strict";
import { gossipConfig } from "../../lib/gossip/config.ts";
import type { GossipDelegate } from "../../lib/gossip/types.ts";
import { MessageType } from "../../lib/gossip/wire/mod.ts";
import { coreHarness, emptyDelegate } from "../_support/core_harness.ts";
import { makeSerf } from "../_support/serf_harness.ts";

/** Only the gossip loop runs: no probes or push/pulls to queue suspicions or wake timers. */
const CONFIG = { ...gossipConfig("lan"), probeIntervalMs: 0, pushPullIntervalMs: 0 };

function userDelegate(withPending: boolean) {
  const queue: Uint8Array[] = [];
  const d: GossipDelegate = {
    ...emptyDelegate(),
    getBroadcasts: () => queue.splice(0),
    ...(withPending ? { pendingBroadcasts: () => queue.length } : {}),
  };
  return { d, queue };
}

Deno.test("gossip loop: stops once nothing is queued, resumes at a queued broadcast", async () => {
  const u = userDelegate(true);
  const h = coreHarness({ config: CONFIG, delegate: u.d, loops: true });
  h.addPeers(3); // queues their alives: the rounds gossip them up to the retransmit limit
  await h.clock.advance(5_000);
  assert.ok(h.sentMessages().some((m) => m.msg.type === MessageType.Alive), "the alives went out");
  assert.equal(h.clock.pendingTimers, 0, "no gossip tick is pending once the queues are empty");
  await h.clock.advance(10_000);
  assert.equal(h.take("packet").length, 0, "and nothing is sent while idle");

  u.queue.push(new Uint8Array([1, 2, 3])); // the delegate (serf) queues and says so
  h.core.broadcastQueued();
  await h.clock.advance(CONFIG.gossipIntervalMs);
  const user = h.sentMessages().filter((m) => m.msg.type === MessageType.User);
  assert.equal(user.length, 1, "the delegate's broadcast is gossiped within one interval");

  await h.clock.advance(5_000);
  assert.equal(h.clock.pendingTimers, 0);
  h.core.onMessage(h.alive(7, 1), { host: "10.1.0.250", port: 7946 }); // the core queues one
  await h.clock.advance(CONFIG.gossipIntervalMs);
  const alives = h.sentMessages().filter((m) => m.msg.type === MessageType.Alive);
  assert.ok(alives.length > 0, "the core's own broadcast resumes the loop too");
});

Deno.test("gossip loop: a delegate that cannot say what it holds keeps the loop ticking", async () => {
  const u = userDelegate(false);
  const h = coreHarness({ config: CONFIG, delegate: u.d, loops: true });
  h.addPeers(3);
  await h.clock.advance(15_000);
  assert.equal(h.clock.pendingTimers, 1, "the gossip tick stays armed");
  u.queue.push(new Uint8Array([4])); // queued without a word: the next tick still finds it
  await h.clock.advance(CONFIG.gossipIntervalMs);
  assert.equal(h.sentMessages().filter((m) => m.msg.type === MessageType.User).length, 1);
});

Deno.test("serf tells memberlist of each broadcast it queues, and how many wait", () => {
  const { serf, handle } = makeSerf("a");
  const before = handle.broadcastsQueued;
  serf.userEvent("deploy", new Uint8Array([1]));
  assert.equal(handle.broadcastsQueued, before + 1);
  assert.ok(serf.pendingBroadcasts() >= 1);
  serf.getBroadcasts(2, 1400);
  serf.userEvent("deploy", new Uint8Array([2]));
  assert.equal(handle.broadcastsQueued, before + 2);
});
