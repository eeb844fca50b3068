/**
 * The experiments of `deno task sim:scale` on a small preloaded cluster: a preloaded cluster is a
 * converged one, a join reaches everyone, a killed node is declared dead by every survivor within
 * the Lifeguard bound, and one seed gives the same numbers twice (what makes the benchmark
 * replayable). Replay with `SHOAL_SEED=<seed> deno test -A tests/gossip/sim_scale.test.ts`.
 */
import assert from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { retransmitLimit } from "../../lib/gossip/broadcast_queue.ts";
import { gossipConfig } from "../../lib/gossip/config.ts";
import { suspicionBounds } from "../../lib/gossip/suspicion.ts";
import { SimCluster, simHost, withSeed } from "../_support/cluster.ts";
import { failureExperiment, health, joinExperiment } from "../_support/sim_track.ts";

const LAN = gossipConfig("lan");
const N = 200;

async function run(seed: number) {
  const c = await SimCluster.create({ size: N, seed, bootstrap: "preload" });
  const converged = c.converged();
  await c.clock.advance(5_000);
  const pick = seededPrng(seed);
  const join = await joinExperiment(c, pick, LAN);
  await c.clock.advance(5_000);
  const failure = await failureExperiment(c, pick, LAN);
  const h = health(c, new Set([failure.victim]));
  c.assertNoViolations();
  await c.shutdown();
  return { converged, join, failure, health: h };
}

Deno.test("sim scale: 200 preloaded nodes converge, learn a join, agree on a death, replayably", async () => {
  await withSeed(5, async (seed) => {
    const a = await run(seed);
    assert.ok(a.converged, "a preloaded cluster starts converged");
    assert.ok(Number.isFinite(a.join[3]), `the join reached every member: ${a.join}`);
    // Dissemination is epidemic: everyone within a few gossip rounds per log of n, far inside
    // the retransmit budget (4 × ceil(log10(201)) = 12 rounds of 200 ms).
    assert.ok(a.join[3] < retransmitLimit(LAN.retransmitMult, N + 1) * LAN.gossipIntervalMs);
    const b = suspicionBounds(LAN, N + 1);
    assert.ok(a.failure.firstSuspectMs < a.failure.firstDeadMs);
    assert.ok(a.failure.firstDeadMs >= b.minMs, "nobody is declared dead before the lower bound");
    const boundMs = N * LAN.probeIntervalMs + b.maxMs +
      retransmitLimit(LAN.retransmitMult, N) * LAN.gossipIntervalMs;
    assert.ok(a.failure.dead[3] <= boundMs, `every survivor saw the death: ${a.failure.dead}`);
    assert.equal(a.health.wrongViews, 0, "every view is right at the end");
    assert.equal(a.health.refutations, 0, "no live node was suspected");
    assert.deepEqual(await run(seed), a, "the same seed gives the same numbers");
  });
});

Deno.test("sim scale: node addresses stay distinct past 255 nodes", () => {
  const hosts = new Set(Array.from({ length: 70_000 }, (_, i) => simHost(i)));
  assert.equal(hosts.size, 70_000);
  assert.equal(simHost(0), "10.0.0.1");
  assert.equal(simHost(255), "10.0.1.0");
});
