/**
 * The serf instance: tags in node metadata, intents, user events, queries, push/pull user state
 * and the member table, riding on memberlist through the delegate interfaces of
 * `lib/gossip/types.ts` (wire spec §7).
 *
 * The protocol work is synchronous: memberlist calls the delegate methods and serf answers with
 * bytes or calls {@linkcode GossipHandle}. Only `join` and `leave` are asynchronous, because
 * memberlist's are.
 *
 * @module
 */

import { SerfBroadcasts } from "./broadcasts.ts";
import type {
  Address,
  GossipConflictDelegate,
  GossipDelegate,
  GossipEventDelegate,
  GossipHandle,
  NodeInfo,
} from "../gossip/types.ts";
import { DEFAULT_SERF_CONFIG, RING_SLOTS, type SerfConfig } from "./config.ts";
import { newCounters, type SerfCounters } from "./counters.ts";
import { SerfStateError } from "./errors.ts";
import { type EventQueue, type SerfEvent, subscribedQueue } from "./events.ts";
import { PingDelegate } from "./coordinate/ping_delegate.ts";
import { LamportClock } from "./lamport.ts";
import type { Member, MemberTable } from "./members.ts";
import { QueryEngine, type QueryParams } from "./queries.ts";
import {
  inboundContextOf,
  lifecycleContextOf,
  memberTableOf,
  queryContextOf,
  statsOf,
  userEventContextOf,
} from "./serf_contexts.ts";
import { restoreClocks, type SnapshotReplay } from "./snapshot.ts";
import type { QueryCollector } from "./query_collector.ts";
import { QueryRing, UserEventRing } from "./rings.ts";
import { encodeTags, META_SIZE_MAX_BYTES } from "./tags.ts";
import { SerfLifecycle } from "./lifecycle.ts";
import { userEventOut } from "./user_events.ts";
import { encodeLocalState, handleInbound, mergeRemoteState } from "./inbound.ts";
import type { InboundContext } from "./inbound.ts";
import type { SerfDeps, SerfListener, SerfOptions, SerfState, SerfStats } from "./serf_options.ts";

export type {
  SerfDeps,
  SerfListener,
  SerfOptions,
  SerfState,
  SerfStats,
  SnapshotSink,
} from "./serf_options.ts";

/** The serf layer; see the module documentation and `mod.ts` for an example. */
export class Serf implements GossipDelegate, GossipEventDelegate, GossipConflictDelegate {
  /** The effective configuration. */
  readonly cfg: SerfConfig;
  /** Injected clock, PRNG and logger. */
  readonly deps: SerfDeps;
  /** Our node name. */
  readonly localName: string;
  /** What arrived and what was dropped. */
  readonly counters: SerfCounters = newCounters();
  /** The member (intent) Lamport clock. */
  readonly memberClock: LamportClock = new LamportClock();
  /** The user event Lamport clock. */
  readonly eventClock: LamportClock = new LamportClock();
  /** The query Lamport clock. */
  readonly queryClock: LamportClock = new LamportClock();
  /** Deduplication ring of user events. */
  readonly eventRing: UserEventRing;
  /** Deduplication ring of queries. */
  readonly queryRing: QueryRing;
  /** The member table. */
  readonly table: MemberTable;
  /** Queries sent and received. */
  readonly queries: QueryEngine;
  /** Join, leave, reap, reconnect, conflicts; owns {@linkcode Serf.state}. */
  readonly lifecycle: SerfLifecycle;
  /** The intent, query and user-event queues waiting to be gossiped. */
  readonly broadcasts: SerfBroadcasts;
  /** The options given at construction. */
  readonly opts: SerfOptions;
  /** Our Vivaldi coordinate and the cached ones of peers; `null` when coordinates are off. */
  readonly coordinates: PingDelegate | null;
  readonly #inbound: InboundContext;
  #tags: ReadonlyMap<string, string>;
  #handle: GossipHandle | null = null;
  #listeners = new Set<SerfListener>();

  /** A serf instance; attach it to memberlist with {@linkcode Serf.attach}. */
  constructor(opts: SerfOptions, deps: SerfDeps) {
    this.opts = opts;
    this.cfg = { ...DEFAULT_SERF_CONFIG, ...opts.config };
    this.deps = { ...deps, log: deps.log.with({ node: opts.nodeName }) };
    this.localName = opts.nodeName;
    this.#tags = opts.tags ?? new Map();
    encodeTags(this.#tags); // refuse oversized tags at construction
    this.memberClock.increment(), this.eventClock.increment(), this.queryClock.increment();
    this.eventRing = new UserEventRing(RING_SLOTS, this.cfg.slotEntriesMax);
    this.queryRing = new QueryRing(RING_SLOTS, this.cfg.queryIdsMax);
    this.broadcasts = new SerfBroadcasts({
      retransmitMult: this.cfg.retransmitMult,
      queueDepthMax: this.cfg.queueDepthMax,
      numNodes: () => this.table.size,
      counters: this.counters,
      onQueued: () => this.#handle?.broadcastQueued?.(),
    });
    this.table = memberTableOf(this);
    this.queries = new QueryEngine(queryContextOf(this));
    const userEvents = userEventContextOf(this);
    this.lifecycle = new SerfLifecycle(lifecycleContextOf(this, userEvents));
    this.#inbound = inboundContextOf(this, userEvents);
    this.coordinates = this.cfg.enableCoordinates
      ? new PingDelegate({ localName: this.localName, prng: deps.prng, log: this.deps.log })
      : null;
  }

  /** The memberlist node below; throws before {@linkcode attach}. */
  get handle(): GossipHandle {
    if (this.#handle === null) throw new SerfStateError("Serf is not attached to memberlist yet");
    return this.#handle;
  }

  /**
   * Connects serf to its memberlist node (after the node started, so it knows itself) and starts
   * the reaper and reconnect timers.
   */
  attach(handle: GossipHandle): void {
    this.#handle = handle;
    if (this.table.get(this.localName) === undefined) this.table.onJoin(handle.localNode());
    this.lifecycle.start();
  }

  /** alive, leaving, left or shutdown (the lifecycle's). */
  get state(): SerfState {
    return this.lifecycle.state;
  }

  /** Our tags. */
  get tags(): ReadonlyMap<string, string> {
    return this.#tags;
  }

  /** Replaces our tags and re-announces them. Throws `SizeLimitError` when too large. */
  setTags(tags: ReadonlyMap<string, string>): void {
    encodeTags(tags);
    this.#tags = new Map(tags);
    this.handle.updateMeta();
  }

  /** Every known member, self included. */
  members(): Member[] {
    return this.table.all();
  }

  /**
   * A bounded queue fed with every event; overflow is dropped and counted in
   * `counters.eventsDropped`. Closing the queue unsubscribes it at the next event.
   */
  events(capacity?: number): EventQueue {
    return subscribedQueue((l) => this.subscribe(l), this.counters, capacity);
  }

  /** Adds a listener for every event; returns the function that removes it. */
  subscribe(listener: SerfListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends an event to listeners and to the snapshot. */
  emit(e: SerfEvent): void {
    if (e.type === "member-reap") { for (const m of e.members) this.coordinates?.forget(m.name); }
    if (e.type !== "user" && e.type !== "query") this.opts.snapshot?.memberEvent(e);
    for (const l of this.#listeners) l(e);
  }

  /** Sends a user event. Throws `SizeLimitError` when too large. */
  userEvent(name: string, payload: Uint8Array, coalesce = false): void {
    userEventOut(this.#inbound.userEvents, name, payload, coalesce);
  }

  /** Sends a query; the collector reports acks, responses and the end. */
  query(name: string, payload: Uint8Array, params: QueryParams = {}): QueryCollector {
    if (this.state === "shutdown") throw new SerfStateError(`Cannot query "${name}": shut down`);
    return this.queries.originate(name, payload, params);
  }

  /** Joins `addrs` (`host:port` or `name/host:port`); see {@linkcode SerfLifecycle.join}. */
  join(addrs: readonly string[], ignoreOld = true): Promise<number> {
    return this.lifecycle.join(addrs, ignoreOld);
  }

  /** Leaves gracefully; see {@linkcode SerfLifecycle.leave}. */
  leave(): Promise<void> {
    return this.lifecycle.leave();
  }

  /** Broadcasts a leave intent about `node` (a failed node becomes left; `prune` erases it). */
  forceLeave(node: string, prune = false): void {
    this.lifecycle.forceLeave(node, prune);
  }

  /** The clocks and gossip queue depths, for RPC `stats`/`info`. */
  stats(): SerfStats {
    return statsOf(this);
  }

  /** Starts the clocks and rings from a snapshot replay (§8 "Replay on start"). */
  restoreClocks(r: SnapshotReplay): void {
    restoreClocks(this, r);
  }

  /** Stops timers and pending queries. Idempotent. */
  shutdown(): void {
    if (this.lifecycle.shutdown()) this.queries.closeAll();
  }

  // ---- GossipDelegate ----

  /** Our tags as metadata. */
  nodeMeta(limitBytes: number): Uint8Array {
    const meta = encodeTags(this.#tags);
    if (meta.length > Math.min(limitBytes, META_SIZE_MAX_BYTES)) return new Uint8Array(0);
    return meta;
  }

  /** A serf message from the network. */
  notifyMsg(payload: Uint8Array, from: Address): void {
    handleInbound(this.#inbound, payload, from);
  }

  /** Intents first, then queries, then events, all within `limitBytes`. */
  getBroadcasts(overheadBytes: number, limitBytes: number): Uint8Array[] {
    return this.broadcasts.getBroadcasts(overheadBytes, limitBytes);
  }

  /** Broadcasts waiting in the three queues (memberlist idles its gossip loop at 0). */
  pendingBroadcasts(): number {
    return this.broadcasts.pending;
  }

  /** Our push/pull user state: `[0x02]` + messagePushPull. */
  localState(_join: boolean): Uint8Array {
    return encodeLocalState(this.#inbound);
  }

  /** Merges a peer's push/pull user state (§7.7). */
  mergeRemoteState(state: Uint8Array, join: boolean): void {
    mergeRemoteState(this.#inbound, state, join);
  }

  /** The ack payload: our current coordinate (wire spec §7.13). */
  ackPayload(): Uint8Array | null {
    return this.coordinates?.ackPayload() ?? null;
  }

  /** memberlist: a direct ping of `node` was answered; its ack carried its coordinate. */
  notifyPingComplete(node: NodeInfo, rttMs: number, payload: Uint8Array | null): void {
    this.coordinates?.notifyPingComplete(node.name, rttMs, payload);
  }

  // ---- GossipEventDelegate ----

  /** memberlist: a node joined (or came back). */
  notifyJoin(node: NodeInfo): void {
    this.table.onJoin(node);
  }
  /** memberlist: a node died or left. */
  notifyLeave(node: NodeInfo): void {
    this.table.onLeave(node);
  }
  /** memberlist: a node changed its metadata or address. */
  notifyUpdate(node: NodeInfo): void {
    this.table.onUpdate(node);
  }

  // ---- GossipConflictDelegate ----

  /** memberlist: another node claims a known name (§7.11). */
  notifyConflict(existing: NodeInfo, other: NodeInfo): void {
    this.lifecycle.conflict(existing, other);
  }
}
