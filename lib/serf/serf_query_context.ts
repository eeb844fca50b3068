/**
 * What the {@linkcode QueryEngine} of one serf instance sees of it: its config, clocks, query
 * ring and a delivery path that routes internal queries (`_serf_*`) to their handlers.
 *
 * @module
 */

import type { SerfEvent } from "./events.ts";
import { handleInternalQuery, INTERNAL_QUERY_PREFIX } from "./internal_queries.ts";
import type { QueryEngine } from "./queries.ts";
import type { Serf } from "./serf.ts";

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
    queueBroadcast: (raw: Uint8Array) => s.queueQuery(raw),
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
