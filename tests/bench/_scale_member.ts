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
 * `SCALE_SWARM_VIEW=F` (0 < F < 1) gives each swarm member a partial view: it admits (memberlist's
 * alive delegate, `admit`) every member that is not a swarm member (the sidecar, real tasks) and
 * each other swarm member with probability F, by a hash of the pair, so views are symmetric (a
 * sparse random graph: with F = 0.02 at 1000 members, about 20 peers each). Every member in full
 * view holds all n members' state, and n full members on one machine cost O(n²) memory and
 * gossip (2.25 GB for 500); the sidecar, whose cost is measured, still holds and probes all n.
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

/** The admit filter of `SCALE_SWARM_VIEW` for member `self`, or undefined for a full view. */
export function swarmView(self: string): ((node: string) => boolean) | undefined {
  const f = Number(Deno.env.get("SCALE_SWARM_VIEW") ?? "");
  if (!(f > 0 && f < 1)) return undefined;
  return (node) => {
    if (!node.startsWith(SWARM_PREFIX)) return true;
    const [a, b] = self < node ? [self, node] : [node, self];
    return fnv1a(`${a}|${b}`) / 0x1_0000_0000 < f;
  };
}

/** The name prefix of swarm members (`_task_swarm.ts`). */
export const SWARM_PREFIX = "swarm-";

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Starts member `node` on `host:7946` with `tags`, not joined yet. */
export function startMember(
  node: string,
  host: string,
  tags: ReadonlyMap<string, string>,
  config: GossipConfig,
): SwarmMember {
  const transport = DenoTransport.listen({ bind: { host, port: 7946 }, logger: nullLogger });
  const view = swarmView(node);
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
    ...(view ? { admit: view } : {}),
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
