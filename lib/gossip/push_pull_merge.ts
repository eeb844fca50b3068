/**
 * The node-table side of a push/pull (wire spec §6.7): whom the periodic push/pull goes to, our
 * table as sent, and merging a peer's table into ours, where each remote entry is replayed as the
 * gossip message it corresponds to, with a remote "dead" softened to a suspicion.
 *
 * @module
 */

import { type Member, nodeInfo } from "./member_table.ts";
import type { Membership } from "./membership.ts";
import type { Address } from "./types.ts";
import { MessageType, NodeState, type PushNodeState } from "./wire/messages.ts";

/** The partner of a periodic push/pull: one random alive member other than us, if any. */
export function pushPullPartner(membership: Membership, localName: string): Address | undefined {
  const partner = membership.table.randomMembers(
    1,
    (m) => m.name === localName || m.state !== NodeState.Alive,
  )[0];
  return partner ? { host: nodeInfo(partner).host, port: partner.port } : undefined;
}

/** A member's push/pull entry: a copy of its wire fields. */
export function pushNodeState(m: Member): PushNodeState {
  const { name, addr, port, meta, incarnation, state, vsn } = m;
  return { name, addr, port, meta, incarnation, state, vsn };
}

/**
 * Applies `remote` to `membership`: Alive → alive, Left → dead{From: itself}, Dead and Suspect →
 * suspect{From: `localName`}.
 */
export function mergeState(
  membership: Membership,
  localName: string,
  remote: readonly PushNodeState[],
  source?: string,
): void {
  const opts = source === undefined ? {} : { source };
  for (const r of remote) {
    const incarnation = r.incarnation;
    switch (r.state) {
      case NodeState.Alive:
        membership.onAlive({
          type: MessageType.Alive,
          incarnation,
          node: r.name,
          addr: r.addr,
          port: r.port,
          meta: r.meta,
          vsn: r.vsn,
        }, opts);
        break;
      case NodeState.Left:
        membership.onDead({ type: MessageType.Dead, incarnation, node: r.name, from: r.name });
        break;
      case NodeState.Dead:
      case NodeState.Suspect:
        membership.onSuspect({
          type: MessageType.Suspect,
          incarnation,
          node: r.name,
          from: localName,
        });
        break;
    }
  }
}
