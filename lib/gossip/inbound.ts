/**
 * The SWIM core's inbound side: each decoded UDP message goes to the part of the core that
 * handles it (probe acks and nacks to the ack registry, state messages to the membership rules,
 * user messages to the delegate), and pings for us, by UDP or TCP, are answered here.
 *
 * @module
 */

import type { CoreContext } from "./effects.ts";
import type { Membership } from "./membership.ts";
import type { Prober } from "./probe.ts";
import { replyAddress } from "./address.ts";
import type { Address, GossipDelegate } from "./types.ts";
import { type Ack, type Message, MessageType, type Ping } from "./wire/messages.ts";

/** The parts of the core that inbound messages reach. */
export interface InboundParts extends Pick<CoreContext, "name" | "counters"> {
  /** Our advertised port, for an alive that names port 0 (its sender's own). */
  readonly advertisePort: number;
  readonly nowMs: () => number;
  readonly membership: Membership;
  readonly prober: Prober;
  readonly delegate: GossipDelegate;
  /** Sends with broadcasts piggybacked (memberlist's sendMsg). */
  readonly sendMessage: (to: Address, msg: Message) => void;
}

/** Handles one decoded message that arrived by UDP from `from`. */
export function routeMessage(p: InboundParts, msg: Message, from: Address): void {
  const m = p.membership;
  switch (msg.type) {
    case MessageType.Ping:
      return answerPing(p, msg, from);
    case MessageType.IndirectPing:
      return p.prober.onIndirectPing(msg, from);
    case MessageType.Ack:
      p.prober.acks.ack(msg.seqNo, msg.payload, p.nowMs());
      return;
    case MessageType.Nack:
      p.prober.acks.nack(msg.seqNo);
      return;
    case MessageType.Suspect:
      return m.onSuspect(msg);
    case MessageType.Alive:
      return m.onAlive(msg.port === 0 ? { ...msg, port: p.advertisePort } : msg, {
        source: from.host,
      });
    case MessageType.Dead:
      return m.onDead(msg);
    case MessageType.User:
      return p.delegate.notifyMsg(msg.payload, from);
    case MessageType.Err:
      p.counters.messagesIgnored++;
      return;
  }
}

/** The ack to write back for a ping that arrived over TCP, or `null` if it is not for `name`. */
export function streamPingAck(name: string, ping: Ping): Ack | null {
  if (ping.node !== "" && ping.node !== name) return null;
  return { type: MessageType.Ack, seqNo: ping.seqNo, payload: null };
}

/** Acks a UDP ping for us with the delegate's payload; one for another node is ignored. */
function answerPing(p: InboundParts, ping: Ping, from: Address): void {
  if (ping.node !== "" && ping.node !== p.name) {
    p.counters.messagesIgnored++;
    return;
  }
  const ack: Ack = { type: MessageType.Ack, seqNo: ping.seqNo, payload: p.delegate.ackPayload() };
  p.sendMessage(replyAddress(ping, from), ack);
}
