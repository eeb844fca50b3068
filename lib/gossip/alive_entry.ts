/**
 * Which table entry an alive message applies to (wire spec §6.7): the known member at the same
 * address; a known member that may move to a new address (left, or dead past the reclaim time);
 * or, for an unknown name, a new placeholder (Dead, incarnation 0). An alive claiming a known name
 * at another address is a conflict: counted, logged, emitted, and refused.
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { AliveAdmission } from "./admission.ts";
import type { CoreContext } from "./effects.ts";
import {
  bytesEqual,
  type Member,
  type MemberObserver,
  type MemberTable,
  nodeInfo,
} from "./member_table.ts";
import { type Alive, NodeState } from "./wire/messages.ts";

/** What {@linkcode entryForAlive} reads and writes (the membership state machine's parts). */
export interface AliveEntryContext {
  readonly table: MemberTable;
  readonly admission: AliveAdmission;
  readonly deps: Pick<CoreContext, "config" | "counters" | "logger" | "emit"> & {
    readonly clock: Pick<Clock, "nowMs">;
    readonly observer?: MemberObserver;
  };
}

/** The entry an alive applies to, and whether the alive moves it to a new address. */
export interface AliveEntry {
  readonly m: Member;
  readonly addressChange: boolean;
}

/**
 * The entry `a` applies to (see the module documentation); a new placeholder is added to the
 * table. Null when the table is full, the source host's budget for new names is spent, or the
 * alive conflicts with a known address. `source` is the host the alive came from when that host
 * did not answer a push/pull we started.
 */
export function entryForAlive(
  ctx: AliveEntryContext,
  a: Alive,
  source: string | undefined,
): AliveEntry | null {
  const d = ctx.deps;
  const known = ctx.table.get(a.node);
  if (known) {
    if (bytesEqual(known.addr, a.addr) && known.port === a.port) {
      return { m: known, addressChange: false };
    }
    if (mayChangeAddress(ctx, known)) return { m: known, addressChange: true };
    reportConflict(ctx, known, a);
    return null;
  }
  if (ctx.table.size >= d.config.nodeTableMax) {
    d.counters.nodeTableFull++;
    return null;
  }
  if (source !== undefined && !ctx.admission.newName(a.node, source)) return null;
  const m: Member = {
    name: a.node,
    addr: a.addr,
    port: a.port,
    meta: a.meta,
    incarnation: 0,
    state: NodeState.Dead,
    vsn: a.vsn,
    stateChangeMs: d.clock.nowMs(),
  };
  ctx.table.add(m);
  d.observer?.(m, null);
  return { m, addressChange: false };
}

function mayChangeAddress(ctx: AliveEntryContext, m: Member): boolean {
  if (m.state === NodeState.Left) return true;
  const reclaimMs = ctx.deps.config.deadNodeReclaimTimeMs;
  return m.state === NodeState.Dead && reclaimMs > 0 &&
    ctx.deps.clock.nowMs() - m.stateChangeMs > reclaimMs;
}

function reportConflict(ctx: AliveEntryContext, m: Member, a: Alive): void {
  const d = ctx.deps;
  d.counters.conflicts++;
  const other = nodeInfo({
    ...m,
    addr: a.addr,
    port: a.port,
    meta: a.meta,
    incarnation: a.incarnation,
  });
  d.logger.warn("member.conflict", {
    node: m.name,
    existing: nodeInfo(m).host,
    other: other.host,
  });
  d.emit({ kind: "conflict", existing: nodeInfo(m), other });
}
