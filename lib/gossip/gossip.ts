/**
 * Dissemination (wire spec §6.5): choosing broadcasts to piggyback within the UDP budget, sending
 * direct messages with piggyback (memberlist's sendMsg), and the periodic gossip round to random
 * live and recently dead nodes.
 *
 * @module
 */

import type { CoreContext } from "./effects.ts";
import { nodeInfo } from "./member_table.ts";
import type { Membership } from "./membership.ts";
import { pmaxOf } from "./probe.ts";
import type { Address, GossipDelegate } from "./types.ts";
import { encodeMessage, type Message, MessageType, NodeState } from "./wire/messages.ts";

/** Compound header (type byte + count) and per-part length field, as memberlist budgets them. */
export const COMPOUND_HEADER_BYTES = 2;
export const COMPOUND_PART_OVERHEAD_BYTES = 2;
/** The `0x08` type byte framing each delegate broadcast. */
const USER_MSG_OVERHEAD_BYTES = 1;

/** What the disseminator needs. */
export interface DisseminatorDeps extends CoreContext {
  readonly membership: Membership;
  readonly delegate: GossipDelegate;
  /** Label and encryption overhead per packet. */
  readonly packetOverheadBytes: number;
}

/** Piggybacking and gossip rounds. */
export class Disseminator {
  readonly #d: DisseminatorDeps;

  constructor(deps: DisseminatorDeps) {
    this.#d = deps;
  }

  /** Broadcasts to piggyback: memberlist's own first, then the delegate's (framed as user messages). */
  getBroadcasts(overheadBytes: number, limitBytes: number): Uint8Array[] {
    const out = this.#d.membership.broadcasts.getBroadcasts(overheadBytes, limitBytes);
    let used = 0;
    for (const b of out) used += b.length + overheadBytes;
    const avail = limitBytes - used;
    if (avail > overheadBytes + USER_MSG_OVERHEAD_BYTES) {
      const user = this.#d.delegate.getBroadcasts(overheadBytes + USER_MSG_OVERHEAD_BYTES, avail);
      for (const payload of user) out.push(encodeMessage({ type: MessageType.User, payload }));
    }
    return out;
  }

  /** Sends `msg` to `to` with whatever broadcasts fit beside it; no CRC (memberlist's sendMsg). */
  sendMessage(to: Address, msg: Message): void {
    const encoded = encodeMessage(msg);
    const avail = this.#budget() - encoded.length - COMPOUND_HEADER_BYTES;
    const parts = [encoded, ...this.getBroadcasts(COMPOUND_PART_OVERHEAD_BYTES, avail)];
    this.#d.emit({ kind: "packet", to, parts, crc: false });
  }

  /**
   * One gossip round: to GossipNodes random alive, suspect or recently dead nodes, each its own
   * selection of broadcasts; stops at the first target with nothing left to send.
   */
  gossipRound(): void {
    const d = this.#d;
    const now = d.clock.nowMs();
    const deadWindowMs = d.config.gossipToTheDeadTimeMs;
    const targets = d.membership.table.randomMembers(d.config.gossipNodes, (m) => {
      if (m.name === d.name) return true;
      if (m.state === NodeState.Alive || m.state === NodeState.Suspect) return false;
      if (m.state === NodeState.Dead) return now - m.stateChangeMs > deadWindowMs;
      return true;
    });
    const avail = this.#budget() - COMPOUND_HEADER_BYTES;
    for (const t of targets) {
      const parts = this.getBroadcasts(COMPOUND_PART_OVERHEAD_BYTES, avail);
      if (parts.length === 0) return;
      const to = { host: nodeInfo(t).host, port: t.port };
      d.emit({ kind: "packet", to, parts, crc: pmaxOf(t) >= 5 });
    }
  }

  #budget(): number {
    return this.#d.config.udpBufferSizeBytes - this.#d.packetOverheadBytes;
  }
}
