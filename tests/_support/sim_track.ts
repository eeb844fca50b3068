/**
 * Measurements on a {@linkcode SimCluster} for `deno task sim:scale` and its test: when each
 * member first saw a target in a state, the 50/90/99/100 % points of that spread, a join and a
 * failure experiment, and protocol health counters across a cluster.
 *
 * @module
 */

import { NodeState } from "../../lib/gossip/wire/messages.ts";
import type { Prng } from "../../lib/clock.ts";
import type { GossipConfig } from "../../lib/gossip/config.ts";
import { suspicionBounds } from "../../lib/gossip/suspicion.ts";
import type { SimCluster } from "./cluster.ts";

/** Virtual ms after the start until 50, 90, 99 and 100 % of the expected members saw it. */
export type Quantiles = [number, number, number, number];

/** First-seen times of one target's states, by observer. */
export interface Tracker {
  /** Observers that saw the target in `state`. */
  count(state: NodeState): number;
  /** Their first-seen times, ascending. */
  times(state: NodeState): number[];
  /** The earliest first-seen time (Infinity if nobody). */
  first(state: NodeState): number;
  /** Stops tracking. */
  stop(): void;
}

/** Tracks `target` in every table of `c` (one tracker at a time). */
export function track(c: SimCluster, target: string): Tracker {
  const seen = new Map<NodeState, Map<string, number>>();
  for (const s of [NodeState.Alive, NodeState.Suspect, NodeState.Dead]) seen.set(s, new Map());
  c.onMemberChange = (observer, m, removed) => {
    if (removed || m.name !== target || observer.name === target) return;
    const byObserver = seen.get(m.state);
    if (byObserver && !byObserver.has(observer.name)) {
      byObserver.set(observer.name, c.clock.nowMs());
    }
  };
  const times = (s: NodeState) => [...seen.get(s)!.values()].sort((a, b) => a - b);
  return {
    count: (s) => seen.get(s)!.size,
    times,
    first: (s) => times(s)[0] ?? Infinity,
    stop: () => void (c.onMemberChange = null),
  };
}

/** The 50/90/99/100 % points of `times` out of `expected` members, relative to `t0`. */
export function percentiles(times: readonly number[], expected: number, t0: number): Quantiles {
  const at = (p: number) => times[Math.max(0, Math.ceil(p * expected) - 1)] ?? Infinity;
  return [at(0.5) - t0, at(0.9) - t0, at(0.99) - t0, at(1) - t0];
}

/** Protocol health across a cluster: anything non-zero but `maxQueue` points at a defect. */
export interface Health {
  /** Running members that some running member sees as not alive. */
  wrongViews: number;
  /** Times a member refuted a suspicion of itself. */
  refutations: number;
  suspicions: number;
  deaths: number;
  pushPullFailures: number;
  refusedFromSource: number;
  nodeTableFull: number;
  /** Deepest broadcast queue of any running member now. */
  maxQueue: number;
}

/** Sums the health counters of the running members of `c`; `killed` are the victims so far. */
export function health(c: SimCluster, killed: ReadonlySet<string>): Health {
  const h: Health = {
    wrongViews: 0,
    refutations: 0,
    suspicions: 0,
    deaths: 0,
    pushPullFailures: 0,
    refusedFromSource: 0,
    nodeTableFull: 0,
    maxQueue: 0,
  };
  const live = c.running();
  const liveNames = new Set(live.map((m) => m.name));
  for (const m of live) {
    const x = m.node.metrics();
    h.refutations += x.refutations;
    h.suspicions += x.suspicionsStarted;
    h.deaths += x.deathsDeclared;
    h.pushPullFailures += x.pushPullFailures;
    h.refusedFromSource += x.nodesRefusedFromSource;
    h.nodeTableFull += x.nodeTableFull;
    h.maxQueue = Math.max(h.maxQueue, x.queueBroadcasts);
    for (const v of m.node.members()) {
      if (liveNames.has(v.name) && v.state !== NodeState.Alive) h.wrongViews++;
      if (killed.has(v.name) && v.state === NodeState.Alive) h.wrongViews++;
    }
  }
  return h;
}

/** Longest wait for a join to reach everyone. */
export const JOIN_DEADLINE_MS = 60_000;

/**
 * A fresh node joins a member picked with `pick`: when 50/90/99/100 % of the members before it
 * saw it alive, relative to the join call.
 */
export async function joinExperiment(
  c: SimCluster,
  pick: Prng,
  config: GossipConfig,
): Promise<Quantiles> {
  const live = c.running();
  const seedNode = live[Math.floor(pick() * live.length)]!;
  const m = c.spawn(config);
  const t = track(c, m.name);
  const t0 = c.clock.nowMs();
  void m.node.join([`${seedNode.address.host}:${seedNode.address.port}`]);
  await c.clock.advanceUntil(() => t.count(NodeState.Alive) >= live.length, t0 + JOIN_DEADLINE_MS);
  t.stop();
  return percentiles(t.times(NodeState.Alive), live.length, t0);
}

/** What a failure experiment saw, in virtual ms after the kill. */
export interface FailureResult {
  readonly victim: string;
  /** The first suspicion by anyone. */
  readonly firstSuspectMs: number;
  /** The first declaration of death by anyone. */
  readonly firstDeadMs: number;
  /** When 50/90/99/100 % of the survivors saw it dead. */
  readonly dead: Quantiles;
}

/**
 * Kills a member picked with `pick` and runs until every survivor sees it dead, or for 4 × the
 * upper Lifeguard suspicion timeout.
 */
export async function failureExperiment(
  c: SimCluster,
  pick: Prng,
  config: GossipConfig,
): Promise<FailureResult> {
  const live = c.running();
  const victim = live[Math.floor(pick() * live.length)]!;
  const survivors = live.length - 1;
  const t = track(c, victim.name);
  const t0 = c.clock.nowMs();
  await c.kill(victim.index);
  const deadlineMs = t0 + 4 * suspicionBounds(config, live.length).maxMs;
  await c.clock.advanceUntil(() => t.count(NodeState.Dead) >= survivors, deadlineMs, 100);
  t.stop();
  return {
    victim: victim.name,
    firstSuspectMs: t.first(NodeState.Suspect) - t0,
    firstDeadMs: t.first(NodeState.Dead) - t0,
    dead: percentiles(t.times(NodeState.Dead), survivors, t0),
  };
}

/** What a cluster merge saw, in virtual ms after the join. */
export interface MergeResult {
  /** When 50/90/99/100 % of the nodes knew every node (Infinity: not within the deadline). */
  readonly complete: Quantiles;
  /** New names refused by the per-source admission budget, summed over the nodes. */
  readonly refusedFromSource: number;
}

/**
 * Two clusters (built with `preloadClusters: 2`) merge when node 1 joins node 0: when each node
 * knew all of them, checked every second up to `deadlineMs`.
 */
export async function mergeExperiment(c: SimCluster, deadlineMs: number): Promise<MergeResult> {
  const n = c.members.length;
  const done = new Map<string, number>();
  const t0 = c.clock.nowMs();
  void c.members[1]!.node.join([`${c.members[0]!.address.host}:${c.members[0]!.address.port}`]);
  while (done.size < n && c.clock.nowMs() - t0 < deadlineMs) {
    await c.clock.advance(1000);
    for (const m of c.members) {
      if (!done.has(m.name) && m.node.numActive() >= n) done.set(m.name, c.clock.nowMs());
    }
  }
  const times = [...done.values()].sort((a, b) => a - b);
  return {
    complete: percentiles(times, n, t0),
    refusedFromSource: health(c, new Set()).refusedFromSource,
  };
}
