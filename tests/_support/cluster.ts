/**
 * A cluster scenario builder for simulation tests: N gossip nodes on one {@linkcode SimNetwork}
 * and {@linkcode VirtualClock}, a seed that reproduces everything (`SHOAL_SEED` overrides it),
 * and invariants checked after every clock step: incarnations never decrease and no member ever
 * makes an illegal state transition in anyone's table.
 *
 * @example
 * ```ts ignore
 * const c = await SimCluster.create({ size: 5, seed: 7 });
 * await c.clock.advance(10_000);
 * c.assertNoViolations();
 * await c.shutdown();
 * ```
 *
 * @module
 */

import { seededPrng } from "../../lib/clock.ts";
import { type GossipConfig, gossipConfig } from "../../lib/gossip/config.ts";
import type { Member } from "../../lib/gossip/member_table.ts";
import { createGossipNode, type GossipNode } from "../../lib/gossip/node.ts";
import type { Address, NodeInfo } from "../../lib/gossip/types.ts";
import { NodeState } from "../../lib/gossip/wire/messages.ts";
import { SimNetwork, type SimNetworkOptions } from "./sim_network.ts";
import { VirtualClock } from "./virtual_clock.ts";
import { emptyDelegate } from "./core_harness.ts";

export { testSeed, withSeed } from "./seed.ts";
export {
  type CoreHarness,
  coreHarness,
  type CoreHarnessOptions,
  emptyDelegate,
} from "./core_harness.ts";

/** Options of {@linkcode SimCluster.create}. */
export interface SimClusterOptions {
  readonly size: number;
  readonly seed: number;
  /** @default gossipConfig("lan") */
  readonly config?: GossipConfig;
  readonly network?: Omit<SimNetworkOptions, "seed">;
  /** Virtual ms between successive nodes starting and joining node 0. @default 20 */
  readonly joinSpacingMs?: number;
  /**
   * `join`: node i > 0 joins node 0 over the network. `preload`: every node starts with every
   * other in its table as alive at incarnation 1 (written in-process, nothing broadcast), the
   * state a converged cluster is in; it skips the O(n² log n) gossip of n joins, so large
   * clusters can be built. @default "join"
   */
  readonly bootstrap?: "join" | "preload";
  /** Preload as this many separate clusters, node i in cluster i mod k. @default 1 */
  readonly preloadClusters?: number;
  /**
   * Spreads every node's first push/pull over this long instead of the first 30 s (a cluster
   * whose nodes started at different times, without everyone's push/pull in one burst).
   */
  readonly firstPushPullWithinMs?: number;
}

/** Sees every member change in every node's table (for measurements). */
export type MemberChangeHook = (observer: SimMember, m: Member, removed: boolean) => void;

/** One simulated member. */
export interface SimMember {
  readonly index: number;
  readonly name: string;
  readonly address: Address;
  readonly node: GossipNode;
  /** False once killed or shut down. */
  running: boolean;
  /** Names this node got a leave (dead or left) event for, with the virtual time. */
  readonly leaves: { name: string; atMs: number; state: NodeState }[];
}

const STATE_NAMES = ["alive", "suspect", "dead", "left"];

/** N nodes on a simulated network; see the module documentation. */
export class SimCluster {
  readonly seed: number;
  readonly clock: VirtualClock;
  readonly net: SimNetwork;
  readonly members: SimMember[] = [];
  readonly violations: string[] = [];
  /** Last seen (state, incarnation) per observer → member. */
  /** Last seen incarnation × 4 + state, per observer → member (a number: cheap at 5000²). */
  readonly #seen = new Map<string, Map<string, number>>();
  #firstPushPullWithinMs: number | undefined;
  /** Called after the invariant check on every member change. */
  onMemberChange: MemberChangeHook | null = null;

  private constructor(seed: number, net: SimNetwork, clock: VirtualClock) {
    this.seed = seed;
    this.net = net;
    this.clock = clock;
    clock.afterEach = () => {
      if (this.violations.length > 0) {
        throw new Error(`Invariant violated (seed ${seed}): ${this.violations[0]}`);
      }
    };
  }

  /** Builds, starts and joins the cluster: node i > 0 joins node 0. */
  static async create(o: SimClusterOptions): Promise<SimCluster> {
    const clock = new VirtualClock();
    const net = new SimNetwork(clock, { seed: o.seed, ...o.network });
    const c = new SimCluster(o.seed, net, clock);
    c.#firstPushPullWithinMs = o.firstPushPullWithinMs;
    const config = o.config ?? gossipConfig("lan");
    if (o.bootstrap === "preload") {
      c.#preload(o.size, config, o.preloadClusters ?? 1);
      return c;
    }
    const joins: Promise<number>[] = [];
    for (let i = 0; i < o.size; i++) {
      const m = c.#spawn(i, config);
      m.node.start();
      if (i > 0) joins.push(m.node.join([`${c.members[0]!.address.host}:7946`]));
      await clock.advance(o.joinSpacingMs ?? 20);
    }
    await clock.advance(1000);
    const joined = await Promise.all(joins);
    if (joined.some((n) => n !== 1)) throw new Error(`Join failed (seed ${o.seed})`);
    return c;
  }

  #preload(size: number, config: GossipConfig, clusters: number): void {
    for (let i = 0; i < size; i++) this.#spawn(i, config).node.start();
    const selves = this.members.map((m) => m.node.core.membership.self());
    const now = this.clock.nowMs();
    for (const m of this.members) {
      const table = m.node.core.membership.table;
      for (const [j, s] of selves.entries()) {
        if (s.name === m.name || j % clusters !== m.index % clusters) continue;
        // What a converged table holds: the entry an alive at incarnation 1 stores (addr, meta and
        // vsn shared: memberlist would hold n copies, the simulation cannot afford n²).
        table.add({ ...s, incarnation: 1, state: NodeState.Alive, stateChangeMs: now });
      }
    }
  }

  /** Adds node `members.length` and starts it (not joined: call `node.join`). */
  spawn(config: GossipConfig = gossipConfig("lan")): SimMember {
    const m = this.#spawn(this.members.length, config);
    m.node.start();
    return m;
  }

  #spawn(i: number, config: GossipConfig): SimMember {
    const name = `node-${i}`;
    const address = { host: simHost(i), port: 7946 };
    const transport = this.net.transport(address);
    const leaves: SimMember["leaves"] = [];
    const seen = new Map<string, number>();
    this.#seen.set(name, seen);
    const node = createGossipNode({
      name,
      transport,
      config,
      delegate: emptyDelegate(),
      clock: this.clock,
      prng: seededPrng(this.seed * 1000 + i),
      ...(this.#firstPushPullWithinMs
        ? { firstPushPullWithinMs: this.#firstPushPullWithinMs }
        : {}),
      events: {
        notifyJoin: () => {},
        notifyUpdate: () => {},
        notifyLeave: (n: NodeInfo) =>
          leaves.push({ name: n.name, atMs: this.clock.nowMs(), state: n.state }),
      },
      observer: (m, _prev, removed) => {
        this.#check(name, seen, m, removed ?? false);
        this.onMemberChange?.(member, m, removed ?? false);
      },
    });
    const member: SimMember = { index: i, name, address, node, running: true, leaves };
    this.members.push(member);
    return member;
  }

  #check(
    observer: string,
    seen: Map<string, number>,
    m: Member,
    removed: boolean,
  ): void {
    if (removed) return void seen.delete(m.name);
    const packed = seen.get(m.name);
    const prev = packed === undefined
      ? undefined
      : { state: (packed % 4) as NodeState, incarnation: Math.floor(packed / 4) };
    seen.set(m.name, m.incarnation * 4 + m.state);
    const where = `${observer} sees ${m.name}`;
    const placeholder = !prev && m.incarnation === 0;
    if (
      m.name === observer && !placeholder && m.state !== NodeState.Alive &&
      m.state !== NodeState.Left
    ) {
      this.violations.push(`${where} as ${STATE_NAMES[m.state]}`);
    }
    if (!prev) return;
    if (m.incarnation < prev.incarnation) {
      this.violations.push(`${where}: incarnation ${prev.incarnation} → ${m.incarnation}`);
    }
    const illegal = legalTransition(prev.state, m.state, m.incarnation > prev.incarnation);
    if (illegal) this.violations.push(`${where}: ${illegal}`);
  }

  /** Live members. */
  running(): SimMember[] {
    return this.members.filter((m) => m.running);
  }

  /** Kills a member: no leave, its transport vanishes. */
  async kill(i: number): Promise<void> {
    const m = this.members[i]!;
    m.running = false;
    await m.node.shutdown();
  }

  /** `observer`'s view: member name → state. */
  view(observer: SimMember): Map<string, NodeState> {
    return new Map(observer.node.members().map((n) => [n.name, n.state]));
  }

  /**
   * True when every running node sees every running node alive, and sees each stopped node as
   * dead, left or not at all.
   */
  converged(): boolean {
    const live = this.running();
    for (const o of live) {
      const v = this.view(o);
      for (const m of this.members) {
        const s = v.get(m.name);
        if (m.running ? s !== NodeState.Alive : s === NodeState.Alive || s === NodeState.Suspect) {
          return false;
        }
      }
    }
    return true;
  }

  /** Throws with the seed when an invariant was violated. */
  assertNoViolations(): void {
    if (this.violations.length > 0) {
      throw new Error(
        `${this.violations.length} invariant violations (seed ${this.seed}): ${
          this.violations.slice(0, 5).join("; ")
        }`,
      );
    }
  }

  /** Shuts every node down and runs the clock until no timer is left. */
  async shutdown(): Promise<void> {
    this.clock.afterEach = null;
    for (const m of this.members) {
      m.running = false;
      await m.node.shutdown();
    }
    await this.clock.advance(60_000);
  }
}

/** Why `from → to` is illegal for a member in someone's table, or null when it is legal. */
export function legalTransition(from: NodeState, to: NodeState, incRose: boolean): string | null {
  const name = `${STATE_NAMES[from]} → ${STATE_NAMES[to]}`;
  if (from === to) return null;
  switch (to) {
    case NodeState.Alive:
      // Left → Alive at the same incarnation is a permitted address change (§6.7).
      return from !== NodeState.Left && !incRose ? `${name} without a higher incarnation` : null;
    case NodeState.Suspect:
      return from === NodeState.Alive ? null : `${name}`;
    case NodeState.Dead:
    case NodeState.Left:
      return from === NodeState.Alive || from === NodeState.Suspect ? null : `${name}`;
  }
  return null;
}

/** Node i's simulated IPv4 address: 10.0.0.1, 10.0.0.2, … (i + 1 spread over the low 3 bytes). */
export function simHost(i: number): string {
  const j = i + 1;
  return `10.${(j >> 16) & 0xff}.${(j >> 8) & 0xff}.${j & 0xff}`;
}
