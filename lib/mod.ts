/**
 * shoal as a library: embed a serf-compatible gossip node in any Deno program.
 *
 * A node joins a cluster of shoal nodes and real `serf` agents, lists members, streams events
 * (member changes, user events, queries) as an async iterable, sends queries and user events,
 * and leaves gracefully. Run with `--unstable-net` (or `"unstable": ["net"]` in deno.json).
 *
 * @example Two nodes in one process: join, query, leave
 * ```ts
 * import { createNode } from "./mod.ts";
 *
 * const a = await createNode({ name: "a", bind: { host: "127.0.0.1", port: 0 } });
 * const b = await createNode({ name: "b", bind: { host: "127.0.0.1", port: 0 }, tags: { role: "echo" } });
 * try {
 *   await b.join([`127.0.0.1:${a.port}`]);
 *   // b answers "echo" queries with the payload it received
 *   (async () => {
 *     for await (const e of b.events()) {
 *       if (e.type === "query" && e.name === "echo") e.respond(e.payload);
 *     }
 *   })();
 *   const result = await a.query("echo", new TextEncoder().encode("hi"), {
 *     filterTags: new Map([["role", "^echo$"]]),
 *   });
 *   console.assert(new TextDecoder().decode(result.responses[0]?.payload) === "hi");
 *   console.assert(a.members().length === 2);
 * } finally {
 *   await b.leave();
 *   await a.leave();
 * }
 * ```
 *
 * @module
 */

import { systemClock } from "./clock.ts";
import type { Endpoint, GossipConfig, GossipProfile } from "./config.ts";
import { type Logger, nullLogger } from "./log/logger.ts";
import { GossipRuntime } from "./roles/gossip_runtime.ts";
import { denoGossipHost } from "./roles/gossip_runtime_host.ts";
import type { Member, QueryParams, QueryResult, SerfEvent } from "./serf/mod.ts";
import { EventQueue } from "./serf/mod.ts";

export type { Member, QueryParams, QueryResult, SerfEvent } from "./serf/mod.ts";
export { MemberStatus } from "./serf/mod.ts";

/** Options of {@linkcode createNode}. */
export interface NodeOptions {
  /** Unique node name. */
  readonly name: string;
  /** UDP+TCP gossip address; port 0 picks a free one. @default 0.0.0.0:7946 */
  readonly bind?: Endpoint;
  /** Address peers use. @default the bind address, else detected */
  readonly advertise?: Endpoint;
  /** @default no tags */
  readonly tags?: Readonly<Record<string, string>>;
  /** Base64 AES key (16, 24 or 32 bytes), as `serf keygen` prints. */
  readonly encryptKey?: string;
  /** memberlist timing preset. @default "lan" */
  readonly profile?: GossipProfile;
  /** Serve serf's agent RPC here (for the `serf` CLI). @default off */
  readonly rpcAddr?: Endpoint;
  /** Keep serf's snapshot in this directory. @default off */
  readonly snapshotDir?: string;
  /** @default nullLogger */
  readonly logger?: Logger;
}

/** How many events a node buffers for {@linkcode ShoalNode.events}; more are dropped and counted. */
export const EVENT_BUFFER_DEFAULT = 1024;

/** A running gossip node. */
export class ShoalNode {
  readonly #runtime: GossipRuntime;

  /** @internal */
  constructor(runtime: GossipRuntime) {
    this.#runtime = runtime;
  }

  /** Our node name. */
  get name(): string {
    return this.#runtime.node.localName;
  }

  /** The bound gossip port (useful with port 0). */
  get port(): number {
    return this.#runtime.transport.bindAddress.port;
  }

  /** Joins `addrs` (`host[:port]`); resolves to how many answered. */
  join(addrs: readonly string[]): Promise<number> {
    return this.#runtime.serf.join(addrs);
  }

  /** Every known member, ourselves included. */
  members(): Member[] {
    return this.#runtime.serf.members();
  }

  /** Replaces our tags; peers see the change within a gossip round or two. */
  setTags(tags: Readonly<Record<string, string>>): void {
    this.#runtime.serf.setTags(new Map(Object.entries(tags)));
  }

  /**
   * Events from now on, as an async iterable. Each call is an independent subscription holding at
   * most `capacity` unread events; iteration ends when the node leaves or closes.
   */
  async *events(capacity = EVENT_BUFFER_DEFAULT): AsyncIterableIterator<SerfEvent> {
    const queue = new EventQueue(capacity);
    const unsubscribe = this.#runtime.serf.subscribe((e) => queue.push(e));
    const stop = () => queue.close();
    this.#closers.add(stop);
    try {
      while (true) {
        await queue.wait();
        const batch = queue.take();
        if (batch.length === 0) return;
        yield* batch;
      }
    } finally {
      unsubscribe();
      this.#closers.delete(stop);
    }
  }
  readonly #closers = new Set<() => void>();

  /** Sends a query and resolves with the acks and responses collected. */
  query(name: string, payload: Uint8Array, params: QueryParams = {}): Promise<QueryResult> {
    return this.#runtime.serf.query(name, payload, params).done();
  }

  /** Broadcasts a user event. */
  userEvent(name: string, payload: Uint8Array, coalesce = false): void {
    this.#runtime.serf.userEvent(name, payload, coalesce);
  }

  /** Leaves gracefully (peers see `left`) and releases the sockets. */
  async leave(): Promise<void> {
    for (const close of this.#closers) close();
    await this.#runtime.leave();
  }

  /** Stops without leaving (peers will see a failure). */
  async close(): Promise<void> {
    for (const close of this.#closers) close();
    await this.#runtime.close();
  }
}

/** Starts a node. */
export async function createNode(options: NodeOptions): Promise<ShoalNode> {
  const config: GossipConfig = {
    node: options.name,
    bind: options.bind ?? { host: "0.0.0.0", port: 7946 },
    advertise: options.advertise ?? null,
    join: [],
    tags: new Map(Object.entries(options.tags ?? {})),
    encryptKey: options.encryptKey ?? null,
    rpcAddr: options.rpcAddr ?? null,
    rpcAuth: null,
    snapshotDir: options.snapshotDir ?? null,
    profile: options.profile ?? "lan",
    reconnectTimeoutMs: 600_000,
    tombstoneTimeoutMs: 600_000,
    metricsAddr: null,
  };
  const runtime = await GossipRuntime.start(config, {
    ...denoGossipHost,
    logger: options.logger ?? nullLogger,
    clock: systemClock,
    prng: Math.random,
  });
  return new ShoalNode(runtime);
}
