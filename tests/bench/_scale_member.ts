/**
 * One swarm member of the scale benchmark: our memberlist + serf, wired as `GossipRuntime.start`
 * wires them for a `shoal task` (same `Serf`, same `createGossipNode`, same UDP/TCP transport),
 * minus what a swarm member does not use (RPC, snapshot, metrics, advertise discovery), and with
 * memberlist timers the benchmark may tune: the load generator's members are not what is measured,
 * and on a 2-core machine a thousand of them cannot all probe once a second.
 *
 * `SCALE_SWARM_PROFILE` (lan, wan) picks memberlist's presets; `SCALE_SWARM_TIMERS`, e.g.
 * `probe=5000,gossip=500,pushpull=120000`, overrides the probe interval, gossip interval and
 * push/pull interval (ms) on top.
 *
 * @module
 */

import { systemClock } from "../../lib/clock.ts";
import { DenoTransport } from "../../lib/gossip/deno_transport.ts";
import { type GossipConfig, gossipConfig, type GossipProfile } from "../../lib/gossip/config.ts";
import { createGossipNode } from "../../lib/gossip/node.ts";
import { nullLogger } from "../../lib/log/logger.ts";
import { Serf } from "../../lib/serf/mod.ts";

/** What the swarm uses of a member. */
export interface SwarmMember {
  readonly serf: Serf;
  /** Joins `addrs`; resolves to how many answered. */
  join(addrs: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

/** The memberlist settings of every swarm member (see the module doc). */
export function swarmGossipConfig(): GossipConfig {
  const profile = (Deno.env.get("SCALE_SWARM_PROFILE") ?? "lan") as GossipProfile;
  const over = new Map(
    (Deno.env.get("SCALE_SWARM_TIMERS") ?? "").split(",").filter((kv) => kv.includes("="))
      .map((kv) => [kv.slice(0, kv.indexOf("=")), Number(kv.slice(kv.indexOf("=") + 1))]),
  );
  const keys = {
    probe: "probeIntervalMs",
    gossip: "gossipIntervalMs",
    pushpull: "pushPullIntervalMs",
  };
  return gossipConfig(
    profile,
    Object.fromEntries(
      Object.entries(keys).filter(([k]) => over.has(k)).map(([k, field]) => [field, over.get(k)]),
    ),
  );
}

/** Starts member `node` on `host:7946` with `tags`, not joined yet. */
export function startMember(
  node: string,
  host: string,
  tags: ReadonlyMap<string, string>,
  config: GossipConfig,
): SwarmMember {
  const transport = DenoTransport.listen({ bind: { host, port: 7946 }, logger: nullLogger });
  const serf = new Serf({
    nodeName: node,
    tags: new Map(tags),
    config: {
      reconnectTimeoutMs: 24 * 3600_000,
      tombstoneTimeoutMs: 24 * 3600_000,
      gossipIntervalMs: config.gossipIntervalMs,
    },
  }, { clock: systemClock, prng: Math.random, log: nullLogger });
  const gossip = createGossipNode({
    name: node,
    transport,
    advertise: { host, port: transport.bindAddress.port },
    config,
    delegate: serf,
    events: serf,
    conflict: serf,
    clock: systemClock,
    prng: Math.random,
    logger: nullLogger,
    resolveHost: () => Promise.resolve([host]),
  });
  gossip.start();
  serf.attach(gossip);
  return {
    serf,
    join: (addrs) => serf.join(addrs),
    async close() {
      serf.shutdown();
      await gossip.shutdown();
      await transport.close();
    },
  };
}
