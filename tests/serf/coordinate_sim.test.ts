/**
 * sim: serf nodes on shoal's memberlist over the simulated network with a fixed one-way delay.
 * The coordinates that ride on the acks must converge to the RTT the network really has, which
 * loopback (a fraction of a millisecond) cannot show.
 */
import assert from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { gossipConfig } from "../../lib/gossip/config.ts";
import { createGossipNode, type GossipNode } from "../../lib/gossip/node.ts";
import { nullLogger } from "../../lib/log/logger.ts";
import { distanceSeconds } from "../../lib/serf/coordinate/coordinate.ts";
import { Serf } from "../../lib/serf/serf.ts";
import { withSeed } from "../_support/cluster.ts";
import { SimNetwork } from "../_support/sim_network.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

const ONE_WAY_MS = 10;

Deno.test("sim: 4 serf nodes, 10 ms each way, every pair's coordinate estimate converges to 20 ms", async () => {
  await withSeed(21, async (seed) => {
    const clock = new VirtualClock();
    const net = new SimNetwork(clock, { seed, delayMinMs: ONE_WAY_MS, delayMaxMs: ONE_WAY_MS });
    const nodes: { serf: Serf; node: GossipNode }[] = [];
    for (let i = 0; i < 4; i++) {
      const name = `n${i}`;
      const prng = seededPrng(seed * 100 + i);
      const serf = new Serf({ nodeName: name }, { clock, prng, log: nullLogger });
      const node = createGossipNode({
        name,
        transport: net.transport({ host: `10.0.0.${i + 1}`, port: 7946 }),
        config: gossipConfig("lan"),
        delegate: serf,
        events: serf,
        conflict: serf,
        clock,
        prng,
        logger: nullLogger,
      });
      node.start();
      serf.attach(node);
      nodes.push({ serf, node });
    }
    const joins = nodes.slice(1).map(({ serf }) => serf.join(["10.0.0.1:7946"]));
    await clock.advance(1000);
    assert.deepEqual(await Promise.all(joins), [1, 1, 1]);
    // About 20 probes of each peer per node.
    await clock.advance(60_000);
    for (const a of nodes) {
      const self = a.serf.coordinates!.cached(a.serf.localName)!;
      assert.ok(self.error < 0.2, `${a.serf.localName} error ${self.error}`);
      for (const b of nodes) {
        if (a === b) continue;
        const other = a.serf.coordinates!.cached(b.serf.localName);
        assert.ok(other, `${a.serf.localName} holds ${b.serf.localName}'s coordinate`);
        const ms = distanceSeconds(self, other) * 1000;
        assert.ok(
          Math.abs(ms - 2 * ONE_WAY_MS) < 2.5,
          `${a.serf.localName}->${b.serf.localName} ${ms} ms`,
        );
      }
    }
    for (const { serf, node } of nodes) serf.shutdown(), await node.shutdown();
  });
});
