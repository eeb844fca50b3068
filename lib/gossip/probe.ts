/**
 * The SWIM failure detector (wire spec §6.2): one probe per ProbeInterval, round-robin over the
 * node table; direct ping, then indirect pings through helpers (with nacks) and a TCP-ping
 * request to the shell; Lifeguard awareness adjusts the deadline; failure raises a suspicion.
 * Also answers indirect-probe requests on behalf of other nodes.
 *
 * Holds no timer: the turn to indirect pings (memberlist's `<-time.After(ProbeTimeout)`) is an
 * `indirect:<seqNo>` directive, handed back to {@linkcode Prober.indirectDue}; acks time out
 * through the {@linkcode AckRegistry}.
 *
 * @module
 */

import { AckRegistry } from "./ack_registry.ts";
import { hostFromIp, replyAddress } from "./address.ts";
import type { CoreContext } from "./effects.ts";
import { type Member, nodeInfo } from "./member_table.ts";
import { halt, indirectTimer, schedule } from "./loops.ts";
import type { Membership } from "./membership.ts";
import type { Address, GossipDelegate } from "./types.ts";
import {
  encodeMessage,
  type IndirectPing,
  type Message,
  MessageType,
  NodeState,
  type Ping,
} from "./wire/messages.ts";

/** How the prober sends; implemented by the core. */
export interface ProbeSender {
  /** Sends `msg` with broadcasts piggybacked, no CRC (memberlist's sendMsg). */
  sendMessage(to: Address, msg: Message): void;
  /** Sends exactly `parts`. */
  sendParts(to: Address, parts: Uint8Array[], crc: boolean): void;
}

/** What the prober needs. */
export interface ProberDeps extends CoreContext {
  readonly advertise: { readonly addr: Uint8Array; readonly port: number };
  readonly membership: Membership;
  readonly sender: ProbeSender;
  readonly delegate: GossipDelegate;
}

interface ActiveProbe {
  readonly target: Member;
  readonly incarnation: number;
  readonly seqNo: number;
  readonly sentMs: number;
  /** The whole probe's deadline from `sentMs` (the probe interval scaled by awareness). */
  readonly deadlineMs: number;
  direct: boolean;
  done: boolean;
  expectedNacks: number;
  nacks: number;
  tcpOk: boolean;
  /** The switch to indirect pings is still pending. */
  indirectPending: boolean;
}

/** memberlist's protocol-version gates on the recipient's pmax (§4). */
export function pmaxOf(m: Member): number {
  return m.vsn.length >= 2 ? m.vsn[1]! : 0;
}

/** Runs probes and answers indirect probes. */
export class Prober {
  readonly acks: AckRegistry;
  readonly #d: ProberDeps;
  #seqNo = 0;
  #active: ActiveProbe | null = null;

  constructor(deps: ProberDeps) {
    this.#d = deps;
    this.acks = new AckRegistry(
      (directive) => deps.emit({ kind: "timer", directive }),
      deps.config.pendingAcksMax,
    );
  }

  /** A fresh u32 sequence number. */
  nextSeqNo(): number {
    this.#seqNo = (this.#seqNo + 1) >>> 0;
    return this.#seqNo;
  }

  /** The ProbeInterval tick: starts a probe unless one is still running. */
  tick(): void {
    if (this.#active) return;
    const d = this.#d;
    const target = d.membership.table.nextProbeTarget(
      d.name,
      d.clock.nowMs(),
      d.config.gossipToTheDeadTimeMs,
      (gone) => d.membership.reaped(gone),
    );
    if (target) this.#probe(target);
  }

  /** A TCP ping the shell ran for probe `seqNo` ended. */
  onTcpPingResult(seqNo: number, ok: boolean): void {
    const p = this.#active;
    if (p && p.seqNo === seqNo && ok) p.tcpOk = true;
  }

  /** Someone asks us to ping a target for them (§6.2). */
  onIndirectPing(req: IndirectPing, from: Address): void {
    const d = this.#d;
    const seqNo = this.nextSeqNo();
    const replyTo = replyAddress(req, from);
    const ok = this.acks.register(seqNo, d.config.probeTimeoutMs, {
      onAck: () => {
        d.sender.sendMessage(replyTo, { type: MessageType.Ack, seqNo: req.seqNo, payload: null });
      },
      onTimeout: () => {
        if (req.nack) d.sender.sendMessage(replyTo, { type: MessageType.Nack, seqNo: req.seqNo });
      },
    });
    if (!ok) {
      d.counters.pendingAcksRefused++;
      return;
    }
    const port = req.port === 0 ? d.advertise.port : req.port;
    d.sender.sendMessage({ host: hostFromIp(req.target), port }, this.#ping(seqNo, req.node));
  }

  /**
   * A ping outside the probe cycle, to `target`'s gossip address and naming it, so only the node
   * of that name at that address acks (memberlist drops a ping for another node). `done` gets
   * true on its ack, false at `timeoutMs` or at once when too many acks are pending. The ack is
   * matched by sequence number only, as a probe's is (an outsider could answer either).
   */
  directPing(target: Member, timeoutMs: number, done: (acked: boolean) => void): void {
    const seqNo = this.nextSeqNo();
    const registered = this.acks.register(seqNo, timeoutMs, {
      onAck: () => done(true),
      onTimeout: () => done(false),
    });
    if (!registered) {
      this.#d.counters.pendingAcksRefused++;
      return done(false);
    }
    const to = { host: hostFromIp(target.addr), port: target.port };
    this.#d.sender.sendMessage(to, this.#ping(seqNo, target.name));
  }

  /** Stops the running probe and forgets every handler, cancelling their timers. */
  stop(): void {
    if (this.#active) this.#cancelIndirect(this.#active);
    this.#active = null;
    this.acks.clear();
  }

  /** The shell's timer for probe `seqNo`'s indirect stage fired: ask helpers, try TCP. */
  indirectDue(seqNo: number): void {
    const p = this.#active;
    if (p?.seqNo === seqNo && p.indirectPending) this.#indirect(p);
  }

  #ping(seqNo: number, node: string): Ping {
    const a = this.#d.advertise;
    return {
      type: MessageType.Ping,
      seqNo,
      node,
      sourceAddr: a.addr,
      sourcePort: a.port,
      sourceNode: this.#d.name,
    };
  }

  #probe(target: Member): void {
    const d = this.#d;
    const seqNo = this.nextSeqNo();
    const deadlineMs = d.membership.awareness.scaleTimeoutMs(d.config.probeIntervalMs);
    const p: ActiveProbe = {
      target,
      incarnation: target.incarnation,
      seqNo,
      sentMs: d.clock.nowMs(),
      deadlineMs,
      direct: true,
      done: false,
      expectedNacks: 0,
      nacks: 0,
      tcpOk: false,
      indirectPending: false,
    };
    const registered = this.acks.register(seqNo, deadlineMs, {
      onAck: (payload, nowMs) => this.#acked(p, payload, nowMs),
      onNack: () => p.nacks++,
      onTimeout: () => this.#failed(p),
    });
    if (!registered) {
      d.counters.pendingAcksRefused++;
      return;
    }
    d.counters.probes++;
    this.#active = p;
    const to = { host: hostFromIp(target.addr), port: target.port };
    const ping = this.#ping(seqNo, target.name);
    if (target.state === NodeState.Alive) {
      d.sender.sendMessage(to, ping);
    } else {
      const suspect: Message = {
        type: MessageType.Suspect,
        incarnation: target.incarnation,
        node: target.name,
        from: d.name,
      };
      d.sender.sendParts(to, [encodeMessage(ping), encodeMessage(suspect)], pmaxOf(target) >= 5);
    }
    p.indirectPending = true;
    d.emit({ kind: "timer", directive: schedule(indirectTimer(seqNo), d.config.probeTimeoutMs) });
  }

  #indirect(p: ActiveProbe): void {
    p.indirectPending = false;
    if (p.done) return;
    p.direct = false;
    const d = this.#d;
    const t = p.target;
    const helpers = d.membership.table.randomMembers(
      d.config.indirectChecks,
      (m) => m.name === d.name || m.name === t.name || m.state !== NodeState.Alive,
    );
    for (const h of helpers) {
      const nack = pmaxOf(h) >= 4;
      if (nack) p.expectedNacks++;
      d.counters.indirectProbes++;
      d.sender.sendMessage({ host: hostFromIp(h.addr), port: h.port }, {
        ...this.#ping(p.seqNo, t.name),
        type: MessageType.IndirectPing,
        target: t.addr,
        port: t.port,
        nack,
      });
    }
    if (!d.config.disableTcpPings && pmaxOf(t) >= 3) {
      d.counters.tcpPings++;
      d.emit({
        kind: "tcp-ping",
        to: { host: hostFromIp(t.addr), port: t.port },
        seqNo: p.seqNo,
        node: t.name,
        deadlineMs: p.sentMs + p.deadlineMs,
      });
    }
  }

  #acked(p: ActiveProbe, payload: Uint8Array | null, nowMs: number): void {
    if (p.done) return;
    this.#finish(p);
    // Any success (direct, relayed or TCP) improves our health, as in memberlist.
    this.#d.membership.awareness.applyDelta(-1);
    if (!p.direct) return;
    this.#d.delegate.notifyPingComplete?.(nodeInfo(p.target), nowMs - p.sentMs, payload);
  }

  #failed(p: ActiveProbe): void {
    if (p.done) return;
    this.#finish(p);
    const d = this.#d;
    if (p.tcpOk) {
      d.membership.awareness.applyDelta(-1);
      d.logger.warn("probe.udp_failed_tcp_ok", { node: p.target.name });
      return;
    }
    const missed = p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1;
    d.membership.awareness.applyDelta(missed);
    d.counters.probeFailures++;
    d.logger.info("probe.failed", { node: p.target.name, nacks: p.nacks });
    d.membership.onSuspect({
      type: MessageType.Suspect,
      incarnation: p.incarnation,
      node: p.target.name,
      from: d.name,
    });
  }

  #finish(p: ActiveProbe): void {
    p.done = true;
    this.#cancelIndirect(p);
    if (this.#active === p) this.#active = null;
  }

  #cancelIndirect(p: ActiveProbe): void {
    if (!p.indirectPending) return;
    p.indirectPending = false;
    this.#d.emit({ kind: "timer", directive: halt(indirectTimer(p.seqNo)) });
  }
}
