/**
 * Deterministic simulations of whole clusters (tigerbeetle style): one seed drives every drop,
 * delay and random choice; invariants are checked after every clock step by {@linkcode SimCluster}.
 * Replay a failure with `SHOAL_SEED=<seed> deno test -A tests/gossip/sim.test.ts`.
 */
import assert from "node:assert/strict";
import { retransmitLimit } from "../../lib/gossip/broadcast_queue.ts";
import { gossipConfig } from "../../lib/gossip/config.ts";
import { suspicionBounds } from "../../lib/gossip/suspicion.ts";
import { pushPullScaleMs } from "../../lib/gossip/swim_core.ts";
import { NodeState } from "../../lib/gossip/wire/messages.ts";
import { legalTransition, SimCluster, withSeed } from "../_support/cluster.ts";

const LAN = gossipConfig("lan");
const MINUTE_MS = 60_000;

Deno.test("sim: 50 nodes, 10% loss, 10 minutes: nobody healthy is declared dead, views converge", async () => {
  await withSeed(1, async (seed) => {
    const c = await SimCluster.create({ size: 50, seed, network: { lossRate: 0.1 } });
    const start = c.clock.nowMs();
    const convergedAt = await c.clock.advanceUntil(() => c.converged(), start + MINUTE_MS, 500);
    assert.notEqual(convergedAt, null, "views converge within a minute of the joins");
    await c.clock.advanceTo(start + 10 * MINUTE_MS);
    assert.ok(c.converged(), "views are still converged after 10 minutes");
    for (const m of c.members) {
      assert.deepEqual(m.leaves, [], `${m.name} saw a healthy node die`);
      assert.equal(m.node.metrics().deathsDeclared, 0);
    }
    assert.ok(c.net.stats.packetsLost > 1000, "the loss was real");
    c.assertNoViolations();
    await c.shutdown();
  });
});

Deno.test("sim: 50 nodes, 10% loss, kill 5: every survivor marks all 5 dead within the Lifeguard bound", async () => {
  await withSeed(2, async (seed) => {
    const n = 50;
    const b = suspicionBounds(LAN, n);
    // Worst case for the first failed probe of a victim: one survivor's full round-robin over the
    // other n − 1 nodes at health 0, plus that probe's deadline; then the longest suspicion
    // (max = 6 × 4 × log10(50) s = 40.752 s) and the dead broadcast's retransmissions.
    const boundMs = (n - 1) * LAN.probeIntervalMs + LAN.probeIntervalMs + b.maxMs +
      retransmitLimit(LAN.retransmitMult, n) * LAN.gossipIntervalMs;
    assert.equal(boundMs, 92_352);
    const c = await SimCluster.create({ size: n, seed, network: { lossRate: 0.1 } });
    await c.clock.advance(30_000);
    assert.ok(c.converged());
    const victims = [7, 13, 21, 34, 45];
    const killedAt = c.clock.nowMs();
    for (const i of victims) await c.kill(i);
    const names = new Set(victims.map((i) => c.members[i]!.name));
    const allMarked = () =>
      c.running().every((m) => {
        const v = c.view(m);
        return [...names].every((x) => v.get(x) === NodeState.Dead);
      });
    const doneAt = await c.clock.advanceUntil(allMarked, killedAt + boundMs, 100);
    assert.notEqual(doneAt, null, `not all survivors marked the victims dead within ${boundMs} ms`);
    let slowestMs = 0;
    for (const m of c.running()) {
      for (const leave of m.leaves) {
        assert.ok(names.has(leave.name), `${m.name} declared healthy ${leave.name} dead`);
        slowestMs = Math.max(slowestMs, leave.atMs - killedAt);
      }
      assert.equal(m.leaves.length, 5);
    }
    console.log(
      `kill 5: slowest survivor marked all dead after ${slowestMs} ms (bound ${boundMs} ms)`,
    );
    c.assertNoViolations();
    await c.shutdown();
  });
});

Deno.test("sim: partition 25/25 for 20 s then heal: one cluster again within two push/pull intervals", async () => {
  await withSeed(3, async (seed) => {
    const c = await SimCluster.create({ size: 50, seed });
    await c.clock.advance(10_000);
    assert.ok(c.converged());
    const sides = [c.members.slice(0, 25), c.members.slice(25)];
    c.net.partition(sides.map((s) => s.map((m) => m.address)));
    await c.clock.advance(20_000);
    const crossDeaths = c.members.reduce((k, m) => k + m.leaves.length, 0);
    assert.ok(crossDeaths > 25 * 25, `each side declared the other dead (${crossDeaths} deaths)`);
    c.net.heal();
    const healedAt = c.clock.nowMs();
    const limitMs = 2 * pushPullScaleMs(LAN.pushPullIntervalMs, 50);
    assert.equal(limitMs, 120_000);
    const doneAt = await c.clock.advanceUntil(() => c.converged(), healedAt + limitMs, 500);
    assert.notEqual(doneAt, null, `still split ${limitMs} ms after the heal`);
    console.log(`partition 20 s: one cluster ${doneAt! - healedAt} ms after the heal`);
    c.assertNoViolations();
    await c.shutdown();
  });
});

Deno.test("sim: partition 25/25 past GossipToTheDeadTime, heal, one rejoin: one cluster within two push/pull intervals", async () => {
  await withSeed(4, async (seed) => {
    const c = await SimCluster.create({ size: 50, seed });
    await c.clock.advance(10_000);
    const sides = [c.members.slice(0, 25), c.members.slice(25)];
    c.net.partition(sides.map((s) => s.map((m) => m.address)));
    // Long enough for each side to reap the other: memberlist alone never heals this (serf's
    // reconnect does, by joining a failed member); the test plays that part with one join.
    await c.clock.advance(90_000);
    assert.ok(c.view(sides[0]![0]!).size < 50, "the other side was reaped");
    c.net.heal();
    const healedAt = c.clock.nowMs();
    const rejoin = sides[1]![5]!.node.join([`${sides[0]![3]!.address.host}:7946`]);
    const limitMs = 2 * pushPullScaleMs(LAN.pushPullIntervalMs, 50);
    const doneAt = await c.clock.advanceUntil(() => c.converged(), healedAt + limitMs, 500);
    assert.equal(await rejoin, 1);
    assert.notEqual(doneAt, null, `still split ${limitMs} ms after the heal and rejoin`);
    c.assertNoViolations();
    await c.shutdown();
  });
});

Deno.test("sim: 20 nodes, 20% loss, duplication and reordering, a kill and a partition: invariants hold", async () => {
  await withSeed(5, async (seed) => {
    const c = await SimCluster.create({
      size: 20,
      seed,
      network: { lossRate: 0.2, duplicateRate: 0.1, delayMinMs: 1, delayMaxMs: 80 },
    });
    await c.clock.advance(60_000);
    await c.kill(3);
    await c.clock.advance(60_000);
    c.net.partition([
      c.members.slice(0, 10).map((m) => m.address),
      c.members.slice(10).map((m) => m.address),
    ]);
    await c.clock.advance(15_000);
    c.net.heal();
    await c.clock.advance(3 * MINUTE_MS);
    assert.ok(c.net.stats.packetsDuplicated > 100);
    const refutations = c.members.reduce((k, m) => k + m.node.metrics().refutations, 0);
    assert.ok(refutations > 0, "accusations were made and refuted");
    c.assertNoViolations();
    await c.shutdown();
  });
});

Deno.test("legalTransition() accepts SWIM's transitions and rejects the rest", () => {
  const { Alive, Suspect, Dead, Left } = NodeState;
  assert.equal(legalTransition(Alive, Suspect, false), null);
  assert.equal(legalTransition(Suspect, Dead, false), null);
  assert.equal(legalTransition(Alive, Left, false), null);
  assert.equal(legalTransition(Dead, Alive, true), null);
  assert.equal(legalTransition(Left, Alive, false), null, "a permitted address change");
  assert.notEqual(legalTransition(Suspect, Alive, false), null);
  assert.notEqual(legalTransition(Dead, Alive, false), null);
  assert.notEqual(legalTransition(Dead, Suspect, true), null);
  assert.notEqual(legalTransition(Left, Dead, true), null);
  assert.notEqual(legalTransition(Dead, Left, true), null);
});
