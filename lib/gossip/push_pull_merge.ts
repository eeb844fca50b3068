/**
 * Merging a peer's push/pull node table into ours (wire spec §6.7): each remote entry is replayed
 * as the gossip message it corresponds to, with a remote "dead" softened to a suspicion.
 *
 * @module
 */

import type { Membership } from "./membership.ts";
import { MessageType, NodeState, type PushNodeState } from "./wire/messages.ts";

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
