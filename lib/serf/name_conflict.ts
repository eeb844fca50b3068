/**
 * Serf's name-conflict resolution (wire spec §7.11): when memberlist sees another node claim our
 * name, a `_serf_conflict` query asks the cluster which address it knows under that name; with
 * no majority for ours, this node shuts itself down.
 *
 * @module
 */

import type { NodeInfo } from "../gossip/types.ts";
import { utf8 } from "../gossip/wire/msgpack.ts";
import { joinHostPort, sameIp } from "./addr.ts";
import { decodeConflictResponse } from "./internal_messages.ts";
import type { LifecycleContext } from "./lifecycle.ts";

/** The two claims memberlist saw, and whether our instance is still alive. */
export interface NameConflict {
  readonly existing: NodeInfo;
  readonly other: NodeInfo;
  readonly alive: boolean;
}

/** Logs a conflict; when it is about our name (and resolution is on), starts the vote. */
export function onNameConflict(
  s: Pick<LifecycleContext, "log" | "localName" | "cfg" | "handle" | "query" | "shutdown">,
  c: NameConflict,
): void {
  const { existing, other } = c;
  s.log.warn("serf.name_conflict", {
    name: other.name,
    existing: joinHostPort(existing.host, existing.port),
    other: joinHostPort(other.host, other.port),
  });
  if (other.name !== s.localName || !s.cfg.enableNameConflictResolution) return;
  if (!c.alive) return;
  const local = s.handle().localNode();
  const isLocal = (n: NodeInfo) => n.host === local.host && n.port === local.port;
  const rival = isLocal(other) ? existing : other;
  s.query("_serf_conflict", utf8(s.localName), {
    onDone: (r) => resolve(s, r.responses, joinHostPort(rival.host, rival.port)),
  });
}

/** Counts the votes for our address; without a majority, shuts down. */
function resolve(
  s: Pick<LifecycleContext, "log" | "localName" | "handle" | "shutdown">,
  responses: readonly { payload: Uint8Array }[],
  rival: string,
): void {
  const local = s.handle().localNode();
  let valid = 0, matching = 0;
  for (const r of responses) {
    try {
      const m = decodeConflictResponse(r.payload);
      if (m === null) continue;
      valid++;
      if (sameIp(m.addr, local.addr) && m.port === local.port) matching++;
    } catch {
      // An undecodable vote does not count.
    }
  }
  const majority = Math.floor(valid / 2) + 1;
  if (matching >= majority) {
    s.log.info("serf.name_conflict.won", { votes: matching, responses: valid });
    return;
  }
  s.log.error("serf.name_conflict.lost", { votes: matching, responses: valid, rival });
  s.shutdown(
    `node name ${
      JSON.stringify(s.localName)
    } is already used by a live member at ${rival}; pick a unique --node`,
  );
}
