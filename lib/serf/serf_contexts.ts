/**
 * What the parts of one serf instance see of it: the query engine gets its config, query clock,
 * ring and a delivery path that routes internal queries (`_serf_*`) to their handlers; the member
 * table gets the clock, the emitter and the bad-tags counter; user events get their clock, ring,
 * queue and delivery ({@linkcode userEventContextOf}); inbound messages get the member and query
 * clocks and the parts that take messages ({@linkcode inboundContextOf}); the lifecycle gets the
 * clocks, the table, the intent queue and the memberlist node ({@linkcode lifecycleContextOf});
 * RPC gets {@linkcode statsOf}.
 *
 * @module
 */

import type { ClockGuardHost } from "./clock_guard.ts";
import type { SerfEvent } from "./events.ts";
import type { InboundContext } from "./inbound.ts";
import type { LifecycleContext } from "./lifecycle.ts";
import { handleInternalQuery, INTERNAL_QUERY_PREFIX } from "./internal_queries.ts";
import type { QueryEngine } from "./queries.ts";
import type { Serf } from "./serf.ts";
import { MemberTable } from "./members.ts";
import type { SerfStats } from "./serf_options.ts";
import type { UserEventContext } from "./user_events.ts";

/** The clock guard's view of `s`: its counters and log. */
export function guardOf(s: Serf): ClockGuardHost {
  return { counters: s.counters, log: s.deps.log };
}

/** The user-event context of `s`. */
export function userEventContextOf(s: Serf): UserEventContext {
  return {
    sizeLimitBytes: s.cfg.userEventSizeLimitBytes,
    counters: s.counters,
    log: s.deps.log,
    clock: s.eventClock,
    ring: s.eventRing,
    deliver: (e) => {
      s.opts.snapshot?.userEventClock(e.lTime);
      s.emit(e);
    },
    queue: (raw) => s.broadcasts.event(raw),
  };
}

/** The inbound-message context of `s`, around its user-event context `userEvents`. */
export function inboundContextOf(s: Serf, userEvents: UserEventContext): InboundContext {
  return {
    responseLimitBytes: s.cfg.queryResponseSizeLimitBytes,
    counters: s.counters,
    log: s.deps.log,
    memberClock: s.memberClock,
    queryClock: s.queryClock,
    userEvents,
    table: s.table,
    queries: s.queries,
    lifecycle: s.lifecycle,
    queueIntent: (raw) => s.broadcasts.intent(raw),
    queueQuery: (raw) => s.broadcasts.query(raw),
    sendUserPacket: (to, raw) => s.handle.sendUserPacket(to, raw),
  };
}

/** The lifecycle context of `s`; push/pull events go through `userEvents`. */
export function lifecycleContextOf(s: Serf, userEvents: UserEventContext): LifecycleContext {
  return {
    cfg: s.cfg,
    clock: s.deps.clock,
    prng: s.deps.prng,
    log: s.deps.log,
    localName: s.localName,
    guard: guardOf(s),
    memberClock: s.memberClock,
    eventClock: s.eventClock,
    queryClock: s.queryClock,
    eventRing: s.eventRing,
    table: s.table,
    userEvents,
    handle: () => s.handle,
    queueIntent: (raw, finished) => s.broadcasts.intent(raw, finished),
    query: (name, payload, params) => void s.query(name, payload, params),
    onLeaving: () => s.opts.snapshot?.leave(),
    shutdown: (reason) => {
      s.shutdown();
      s.opts.onShutdown?.(reason);
    },
  };
}

/** The query engine context of `s`. */
export function queryContextOf(s: Serf): ConstructorParameters<typeof QueryEngine>[0] {
  return {
    cfg: s.cfg,
    clock: s.deps.clock,
    prng: s.deps.prng,
    log: s.deps.log,
    counters: s.counters,
    queryClock: s.queryClock,
    ring: s.queryRing,
    localName: s.localName,
    handle: () => s.handle,
    localTags: () => s.tags,
    members: () => s.table.all(),
    queueBroadcast: (raw: Uint8Array) => s.broadcasts.query(raw),
    deliver: (e: SerfEvent) => {
      if (e.type === "query" && e.name.startsWith(INTERNAL_QUERY_PREFIX)) {
        handleInternalQuery(e, {
          localName: s.localName,
          log: s.deps.log,
          keyring: s.opts.keyring,
          responseLimitBytes: s.cfg.queryResponseSizeLimitBytes,
          member: (n) => s.table.get(n),
        });
      } else {
        if (e.type === "query") s.opts.snapshot?.queryClock(e.lTime);
        s.emit(e);
      }
    },
  };
}

/** The member table of `s`. */
export function memberTableOf(s: Serf): MemberTable {
  return new MemberTable({
    recentIntentsMax: s.cfg.recentIntentsMax,
    nowMs: () => s.deps.clock.nowMs(),
    emit: (e) => s.emit(e),
    onBadTags: (node, e) => {
      s.counters.tagDecodeErrors++;
      s.deps.log.debug("serf.tags.invalid", { member: node, error: e.message });
    },
  });
}

/** The clocks and gossip queue depths of `s`. */
export function statsOf(s: Serf): SerfStats {
  return {
    memberTime: s.memberClock.time(),
    eventTime: s.eventClock.time(),
    queryTime: s.queryClock.time(),
    intentQueue: s.broadcasts.intents.length,
    eventQueue: s.broadcasts.events.length,
    queryQueue: s.broadcasts.queries.length,
  };
}
