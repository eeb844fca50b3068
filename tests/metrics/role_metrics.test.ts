import assert from "node:assert/strict";
import {
  createSidecarMetrics,
  createTaskMetrics,
  GOSSIP_METRIC_NAMES,
  type GossipMetricsSource,
  registerGossipMetrics,
  registerRefusalMetrics,
  Registry,
  SIDECAR_METRIC_NAMES,
  TASK_METRIC_NAMES,
} from "../../lib/metrics/mod.ts";
import { parsePromText } from "../_support/prom_text.ts";

const zeroGossip: GossipMetricsSource = {
  probes: 0,
  probeFailures: 0,
  indirectProbes: 0,
  suspicionsStarted: 0,
  refutations: 0,
  deathsDeclared: 0,
  packetsIn: 0,
  packetsOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  dropped: {},
  streamsRefused: 0,
  queueBroadcasts: 0,
  pendingAcks: 0,
  suspicions: 0,
  activeStreams: 0,
  nodes: 1,
  membersByStatus: { alive: 1, failed: 0, left: 0 },
  healthScore: 0,
};

Deno.test("role metric names are shoal_-prefixed, valid and typed as declared", () => {
  const sidecarRegistry = new Registry();
  createSidecarMetrics(sidecarRegistry, { clock: { nowMs: () => 0 } });
  registerGossipMetrics(sidecarRegistry, () => zeroGossip);
  registerRefusalMetrics(sidecarRegistry, () => ({ lamport: 0 }));
  const taskRegistry = new Registry();
  createTaskMetrics(taskRegistry);
  registerGossipMetrics(taskRegistry, () => zeroGossip);
  const sidecar = parsePromText(sidecarRegistry.render());
  const task = parsePromText(taskRegistry.render());
  const expect = [
    ...Object.values(SIDECAR_METRIC_NAMES).map((n) => [sidecar, n] as const),
    ...Object.values(GOSSIP_METRIC_NAMES).map((n) => [sidecar, n] as const),
    ...Object.values(TASK_METRIC_NAMES).map((n) => [task, n] as const),
  ];
  for (const [families, name] of expect) {
    assert.match(name, /^shoal_[a-z_]+$/);
    const f = families.get(name);
    assert.ok(f, `${name} is rendered`);
    assert.ok(f.help && f.help.length > 5, `${name} has help`);
    if (f.type === "counter") assert.match(name, /_total$/);
    else assert.doesNotMatch(name, /_total$/);
  }
});

Deno.test("createSidecarMetrics() reports +Inf HAProxy contact age before the first contact", () => {
  let now = 10_000;
  const registry = new Registry();
  const m = createSidecarMetrics(registry, { clock: { nowMs: () => now } });
  const age = () =>
    parsePromText(registry.render()).get(SIDECAR_METRIC_NAMES.haproxyContactAge)!.samples[0]!
      .value;
  assert.equal(age(), Infinity);
  m.haproxyContacted(9_000);
  assert.equal(age(), 1);
  m.haproxyContacted(8_000); // a late, older report never moves the contact back
  now = 12_500;
  assert.equal(age(), 3.5);
});

Deno.test("createTaskMetrics() keeps worker state one-hot", () => {
  const registry = new Registry();
  const task = createTaskMetrics(registry);
  const active = () =>
    parsePromText(registry.render()).get(TASK_METRIC_NAMES.workerState)!.samples
      .filter((s) => s.value === 1).map((s) => s.labels.get("state"));
  assert.deepEqual(active(), ["starting"]);
  task.setWorkerState("ready");
  task.setWorkerState("draining");
  assert.deepEqual(active(), ["draining"]);
});
