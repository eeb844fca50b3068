import assert from "node:assert/strict";
import {
  gossipConfig,
  GossipConfigError,
  LAN_CONFIG,
  LOCAL_CONFIG,
  vsnOf,
  WAN_CONFIG,
} from "../../lib/gossip/config.ts";

Deno.test("gossipConfig() presets carry memberlist's §6.1 defaults", () => {
  const pick = (c: typeof LAN_CONFIG) => [
    c.tcpTimeoutMs,
    c.indirectChecks,
    c.retransmitMult,
    c.suspicionMult,
    c.suspicionMaxTimeoutMult,
    c.pushPullIntervalMs,
    c.probeIntervalMs,
    c.probeTimeoutMs,
    c.gossipIntervalMs,
    c.gossipNodes,
    c.gossipToTheDeadTimeMs,
  ];
  assert.deepEqual(pick(gossipConfig("lan")), [10000, 3, 4, 4, 6, 30000, 1000, 500, 200, 3, 30000]);
  assert.deepEqual(pick(gossipConfig("wan")), [
    30000,
    3,
    4,
    6,
    6,
    60000,
    5000,
    3000,
    500,
    4,
    60000,
  ]);
  assert.deepEqual(pick(gossipConfig("local")), [
    1000,
    1,
    2,
    3,
    6,
    15000,
    1000,
    200,
    100,
    3,
    15000,
  ]);
  for (const c of [LAN_CONFIG, WAN_CONFIG, LOCAL_CONFIG]) {
    assert.equal(c.awarenessMaxMultiplier, 8);
    assert.equal(c.udpBufferSizeBytes, 1400);
    assert.equal(c.deadNodeReclaimTimeMs, 0);
    assert.equal(c.enableCompression, true);
    assert.equal(c.disableTcpPings, false);
  }
  assert.deepEqual([...vsnOf(LAN_CONFIG)], [1, 5, 2, 2, 5, 5]);
});

Deno.test("gossipConfig() applies overrides and refuses nonsense", () => {
  assert.equal(gossipConfig("lan", { probeIntervalMs: 2000 }).probeIntervalMs, 2000);
  assert.throws(() => gossipConfig("lan", { probeIntervalMs: 0 }), GossipConfigError);
  assert.throws(() => gossipConfig("lan", { probeTimeoutMs: 5000 }), GossipConfigError);
});
