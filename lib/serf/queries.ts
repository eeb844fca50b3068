/**
 * Query origination, reception and responses (wire spec §7.9), including relays and the
 * querier's pending collectors keyed by Lamport time.
 *
 * @module
 */

import { type Clock, type Prng, shuffle } from "../clock.ts";
import type { Address, GossipHandle } from "../gossip/types.ts";
import type { Logger } from "../log/logger.ts";
import { ipToString } from "./addr.ts";
import { defaultQueryTimeoutMs, type SerfConfig } from "./config.ts";
import { admitLTime } from "./clock_guard.ts";
import type { SerfCounters } from "./counters.ts";
import { QueryResponseError, SerfDecodeError, SerfStateError, SizeLimitError } from "./errors.ts";
import type { QueryEvent } from "./events.ts";
import { buildFilters, expectedResponders, filtersMatch } from "./filters.ts";
import type { LamportClock } from "./lamport.ts";
import { type Member, MemberStatus } from "./members.ts";
import {
  encodeRelay,
  encodeSerfMessage,
  QUERY_FLAG_ACK,
  QUERY_FLAG_NO_BROADCAST,
  type QueryMessage,
  type QueryResponseMessage,
  SerfMessageType,
} from "./messages.ts";
import { QueryCollector, type QueryResponseRecord, type QueryResult } from "./query_collector.ts";
import type { QueryRing } from "./rings.ts";

/** How to send a query. */
export interface QueryParams {
  /** Only these nodes process it. */
  readonly filterNodes?: readonly string[];
  /** Tag name to Go regexp (unanchored); all must match. */
  readonly filterTags?: ReadonlyMap<string, string>;
  /** Ask every processing node for an ack. @default false */
  readonly requestAck?: boolean;
  /** Extra members that relay each answer back. @default 0 */
  readonly relayFactor?: number;
  /** @default serf's formula from the gossip interval and the cluster size */
  readonly timeoutMs?: number;
  /** Do not let other nodes re-gossip it. @default false */
  readonly noBroadcast?: boolean;
  /** Finish once every expected responder answered (shoal extension). @default true */
  readonly endEarly?: boolean;
  /** Each new ack. */
  readonly onAck?: (from: string) => void;
  /** Each new response. */
  readonly onResponse?: (r: QueryResponseRecord) => void;
  /** Once, at the end. */
  readonly onDone?: (r: QueryResult) => void;
}

/**
 * Largest number of expected responders a query is also sent to directly; beyond it the query
 * goes by gossip only (a broad query is what gossip is for).
 */
export const DIRECT_QUERY_TARGETS_MAX = 8;

/**
 * Longest query timeout. A query holds one of `pendingQueriesMax` slots until it ends; serf's
 * default is seconds, a day is more than any caller waits, and the timeout stays a safe integer
 * of nanoseconds on the wire (an RPC client asking 2^53 ns made the query fail to encode).
 */
export const QUERY_TIMEOUT_MAX_MS = 24 * 60 * 60 * 1000;

/** What {@linkcode QueryEngine} needs from the serf instance. */
export interface QueryContext {
  readonly cfg: SerfConfig;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly log: Logger;
  readonly counters: SerfCounters;
  readonly queryClock: LamportClock;
  readonly ring: QueryRing;
  readonly localName: string;
  handle(): GossipHandle;
  localTags(): ReadonlyMap<string, string>;
  members(): Member[];
  queueBroadcast(raw: Uint8Array): void;
  /** A query that passed the filters: to the application, or to the internal handler. */
  deliver(e: QueryEvent): void;
}

/** Queries in both directions; see the module documentation. */
export class QueryEngine {
  readonly #c: QueryContext;
  readonly #pending = new Map<number, QueryCollector>();

  constructor(ctx: QueryContext) {
    this.#c = ctx;
  }

  /**
   * shoal extension: besides gossiping the query, send it straight to the few members expected to
   * answer, so a filtered query (a task's `announce` to its sidecars) arrives in one packet instead
   * of after several gossip rounds. Receivers deduplicate by Lamport time and ID, so the gossiped
   * copy is dropped; serf agents handle a query in a direct user message like a gossiped one.
   */
  #sendDirect(raw: Uint8Array, members: readonly Member[], expected: ReadonlySet<string>): void {
    if (expected.size === 0 || expected.size > DIRECT_QUERY_TARGETS_MAX) return;
    const handle = this.#c.handle();
    for (const m of members) {
      if (m.name === this.#c.localName || !expected.has(m.name)) continue;
      handle.sendUserPacket({ host: m.host, port: m.port }, raw);
    }
  }

  /** Collectors still running. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Sends a query and returns its collector. Throws `SizeLimitError`, `SerfStateError`. */
  originate(name: string, payload: Uint8Array, p: QueryParams = {}): QueryCollector {
    const c = this.#c;
    if (this.#pending.size >= c.cfg.pendingQueriesMax) {
      throw new SerfStateError(`Cannot send query "${name}": ${this.#pending.size} still pending`);
    }
    const local = c.handle().localNode();
    const filters = buildFilters(p.filterNodes, p.filterTags);
    const timeoutMs = Math.min(
      p.timeoutMs ?? defaultQueryTimeoutMs(c.cfg, c.handle().numActive()),
      QUERY_TIMEOUT_MAX_MS,
    );
    const q: QueryMessage = {
      type: SerfMessageType.Query,
      lTime: c.queryClock.time(),
      id: Math.floor(c.prng() * 0x80000000),
      addr: local.addr,
      port: local.port,
      sourceNode: c.localName,
      filters,
      flags: (p.requestAck ? QUERY_FLAG_ACK : 0) | (p.noBroadcast ? QUERY_FLAG_NO_BROADCAST : 0),
      relayFactor: p.relayFactor ?? 0,
      timeoutNs: Math.round(timeoutMs * 1e6),
      name,
      payload,
    };
    const raw = encodeSerfMessage(q);
    if (raw.length > c.cfg.querySizeLimitBytes) {
      throw new SizeLimitError("query", raw.length, c.cfg.querySizeLimitBytes);
    }
    const members = c.members();
    let expected = expectedResponders(members, filters);
    if (name === "_serf_conflict") {
      expected = new Set([...expected].filter((n) => n !== c.localName));
    }
    // onDone may run inside the constructor (nobody is expected to answer), before the
    // assignment below: compare against the variable, which is still undefined then.
    let collector: QueryCollector | undefined = undefined;
    collector = new QueryCollector({
      id: q.id,
      lTime: q.lTime,
      deadlineMs: c.clock.nowMs() + timeoutMs,
      ackRequested: p.requestAck ?? false,
      expected,
      capacity: Math.max(1, members.length),
      clock: c.clock,
      ...(p.endEarly === undefined ? {} : { endEarly: p.endEarly }),
      ...(p.onAck ? { onAck: p.onAck } : {}),
      ...(p.onResponse ? { onResponse: p.onResponse } : {}),
      onDone: (r) => {
        if (this.#pending.get(q.lTime) === collector) this.#pending.delete(q.lTime);
        p.onDone?.(r);
      },
    });
    if (!collector.finished) this.#pending.set(q.lTime, collector);
    this.receive(q, raw);
    c.queueBroadcast(raw);
    this.#sendDirect(raw, members, expected);
    return collector;
  }

  /** Handles a received (or our own) query. Returns whether to re-broadcast its bytes. */
  receive(q: QueryMessage, raw: Uint8Array): boolean {
    const c = this.#c;
    // serf's QuerySizeLimit, enforced on receive as well as on send (issue 13)
    if (raw.length > c.cfg.querySizeLimitBytes) {
      c.counters.oversizeRefused++;
      c.log.debug("serf.query.oversize", { name: q.name, id: q.id, bytes: raw.length });
      return false;
    }
    if (!admitLTime(c, c.queryClock, q.lTime, "query")) return false;
    c.queryClock.witness(q.lTime);
    const admission = c.ring.admit(q.lTime, q.id, c.queryClock.time());
    if (admission === "duplicate") return (c.counters.queriesDuplicate++, false);
    if (admission === "full") return (c.counters.queriesRingFull++, false);
    if (admission !== "new") return (c.counters.queriesStale++, false);
    const rebroadcast = (q.flags & QUERY_FLAG_NO_BROADCAST) === 0;
    if (!filtersMatch(q.filters, c.localName, c.localTags())) {
      c.counters.queriesFiltered++;
      return rebroadcast;
    }
    if ((q.flags & QUERY_FLAG_ACK) !== 0) {
      this.#send(q, { flags: QUERY_FLAG_ACK, payload: null });
    }
    c.counters.queriesDelivered++;
    c.log.info("serf.query.received", { name: q.name, id: q.id, from: q.sourceNode });
    c.deliver(this.#event(q));
    return rebroadcast;
  }

  #event(q: QueryMessage): QueryEvent {
    const deadlineMs = this.#c.clock.nowMs() + q.timeoutNs / 1e6;
    let responded = false;
    return {
      type: "query",
      lTime: q.lTime,
      id: q.id,
      name: q.name,
      payload: q.payload ?? new Uint8Array(0),
      sourceNode: q.sourceNode,
      sourceAddr: { host: sourceHost(q.addr), port: q.port },
      deadlineMs,
      respond: (payload: Uint8Array) => {
        if (responded) throw new QueryResponseError(`Cannot respond to query "${q.name}" twice`);
        if (this.#c.clock.nowMs() > deadlineMs) {
          throw new QueryResponseError(`Cannot respond to query "${q.name}": past its deadline`);
        }
        this.#send(q, { flags: 0, payload }, this.#c.cfg.queryResponseSizeLimitBytes);
        responded = true;
      },
    };
  }

  #send(q: QueryMessage, r: { flags: number; payload: Uint8Array | null }, limit = Infinity): void {
    const c = this.#c;
    const msg: QueryResponseMessage = {
      type: SerfMessageType.QueryResponse,
      lTime: q.lTime,
      id: q.id,
      from: c.localName,
      ...r,
    };
    const raw = encodeSerfMessage(msg);
    if (raw.length > limit) throw new SizeLimitError("query response", raw.length, limit);
    if (q.sourceNode === c.localName) this.onResponse(msg);
    else c.handle().sendUserPacket({ host: ipToString(q.addr), port: q.port }, raw);
    this.#relay(q, raw);
  }

  #relay(q: QueryMessage, raw: Uint8Array): void {
    const c = this.#c;
    if (q.relayFactor === 0) return;
    const members = c.members();
    if (members.length < q.relayFactor + 1) return;
    const candidates = members.filter((m) =>
      m.name !== c.localName && m.status === MemberStatus.Alive && (m.vsn[1] ?? 0) >= 5
    );
    const header = { destIp: q.addr, destPort: q.port, destZone: "", destName: q.sourceNode };
    const relayed = encodeRelay(header, raw);
    for (const m of shuffle(c.prng, candidates).slice(0, q.relayFactor)) {
      c.handle().sendUserPacket({ host: m.host, port: m.port }, relayed);
    }
  }

  /** An ack or response for one of our queries, from `via` (absent for our own). */
  onResponse(r: QueryResponseMessage, via?: Address): void {
    const collector = this.#pending.get(r.lTime);
    const outcome = collector ? collector.handle(r, via) : "mismatch";
    if (outcome === "duplicate") this.#c.counters.responsesDuplicate++;
    else if (outcome !== "accepted") this.#c.counters.responsesUnmatched++;
  }

  /** Ends every pending query (shutdown). */
  closeAll(): void {
    for (const q of [...this.#pending.values()]) q.finish();
  }
}

/** The query's Addr as an IP literal; "" when it is not a valid IP (it never matches a member). */
function sourceHost(addr: Uint8Array): string {
  try {
    return ipToString(addr);
  } catch (err) {
    if (err instanceof SerfDecodeError) return "";
    throw err;
  }
}
