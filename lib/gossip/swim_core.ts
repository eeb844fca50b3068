/**
 * The sans-IO SWIM + Lifeguard core: one instance per node. Inputs are decoded messages, stream
 * results and timer ticks from the injected clock; outputs are {@linkcode GossipEffect}s handed to
 * a sink that the shell executes. No sockets, no ambient time or randomness, no `await`.
 *
 * @example
 * ```ts
 * import { seededPrng } from "../clock.ts";
 * import { gossipConfig } from "./config.ts";
 * import { SwimCore } from "./swim_core.ts";
 * import type { GossipEffect } from "./effects.ts";
 * const effects: GossipEffect[] = [];
 * const clock = { nowMs: () => 0, setTimer: () => 0, clearTimer: () => {} };
 * const core = new SwimCore({
 *   name: "a", advertise: { host: "127.0.0.1", port: 7946 }, config: gossipConfig("lan"),
 *   delegate: { nodeMeta: () => new Uint8Array(), notifyMsg() {}, getBroadcasts: () => [],
 *     localState: () => new Uint8Array(), mergeRemoteState() {}, ackPayload: () => null },
 *   clock, prng: seededPrng(1), emit: (e) => effects.push(e),
 * });
 * core.start();
 * console.assert(core.numActive() === 1);
 * ```
 *
 * @module
 */

import { type Logger, nullLogger } from "../log/logger.ts";
import { ipFromHost } from "./address.ts";
import { type GossipConfig, vsnOf } from "./config.ts";
import { type CoreCounters, newCoreCounters } from "./effects.ts";
import { isDeadOrLeft, type Member, nodeInfo } from "./member_table.ts";
import { Membership } from "./membership.ts";
import { Disseminator } from "./gossip.ts";
import { LoopTimers } from "./loop_timers.ts";
import { Prober, replyAddress } from "./probe.ts";
import { mergeState } from "./push_pull_merge.ts";
import type { Address, NodeInfo } from "./types.ts";
import { pushPullScaleMs, type PushPullState, type SwimCoreOptions } from "./swim_options.ts";
import { verifyProtocol } from "./version_check.ts";
import {
  type Ack,
  encodeMessage,
  type Message,
  MessageType,
  NodeState,
  type Ping,
} from "./wire/messages.ts";

/** memberlist's MetaMaxSize: node metadata longer than this cannot be announced. */
const META_MAX_BYTES = 512;
export { pushPullScaleMs, type PushPullState, type SwimCoreOptions } from "./swim_options.ts";

/** One node's SWIM state machine; see the module documentation. */
export class SwimCore {
  readonly name: string;
  readonly config: GossipConfig;
  readonly counters: CoreCounters = newCoreCounters();
  readonly membership: Membership;
  readonly prober: Prober;
  readonly #o: SwimCoreOptions;
  readonly #logger: Logger;
  readonly #advertiseAddr: Uint8Array;
  readonly #timers: LoopTimers;
  readonly #gossip: Disseminator;
  #running = false;

  constructor(opts: SwimCoreOptions) {
    this.#o = opts;
    this.name = opts.name;
    this.config = opts.config;
    this.#logger = opts.logger ?? nullLogger;
    this.#advertiseAddr = ipFromHost(opts.advertise.host);
    this.#timers = new LoopTimers(opts.clock, opts.prng, () => this.#running);
    const base = {
      name: opts.name,
      config: opts.config,
      clock: opts.clock,
      emit: opts.emit,
      logger: this.#logger,
      counters: this.counters,
    };
    this.membership = new Membership({
      ...base,
      prng: opts.prng,
      ...(opts.observer ? { observer: opts.observer } : {}),
    });
    this.#gossip = new Disseminator({
      ...base,
      membership: this.membership,
      delegate: opts.delegate,
      packetOverheadBytes: opts.packetOverheadBytes ?? 0,
    });
    this.prober = new Prober({
      ...base,
      advertise: { addr: this.#advertiseAddr, port: opts.advertise.port },
      membership: this.membership,
      sender: {
        sendMessage: (to, msg) => this.#gossip.sendMessage(to, msg),
        sendParts: (to, parts, crc) => this.#o.emit({ kind: "packet", to, parts, crc }),
      },
      delegate: opts.delegate,
    });
  }

  /** Announces ourselves (alive, incarnation 1) and starts the probe, gossip and push/pull loops. */
  start(): void {
    if (this.#running) return;
    this.announce();
    const c = this.config;
    this.#timers.every(c.probeIntervalMs, () => this.prober.tick());
    this.#timers.every(c.gossipIntervalMs, () => this.#gossip.gossipRound());
    if (c.pushPullIntervalMs > 0) {
      const within = this.#o.firstPushPullWithinMs ?? c.pushPullIntervalMs;
      this.#timers.after(this.#timers.stagger(within), () => this.#pushPullTick());
    }
  }

  /**
   * Announces ourselves and accepts input, without starting the probe, gossip and push/pull loops
   * (what {@linkcode SwimCore.start} does first; unit tests drive the core this way).
   */
  announce(): void {
    if (this.#running) return;
    this.#running = true;
    const meta = this.#meta();
    this.membership.bootstrap(
      this.#advertiseAddr,
      this.#o.advertise.port,
      meta,
      vsnOf(this.config),
    );
  }

  /** Stops every loop and timer. Further input is ignored. */
  stop(): void {
    this.#running = false;
    this.#timers.clearAll();
    this.prober.stop();
    this.membership.stop();
  }

  /** Handles one decoded message that arrived by UDP from `from`. */
  onMessage(msg: Message, from: Address): void {
    if (!this.#running) return;
    const m = this.membership;
    switch (msg.type) {
      case MessageType.Ping:
        return this.#onPing(msg, from);
      case MessageType.IndirectPing:
        return this.prober.onIndirectPing(msg, from);
      case MessageType.Ack:
        this.prober.acks.ack(msg.seqNo, msg.payload, this.#o.clock.nowMs());
        return;
      case MessageType.Nack:
        this.prober.acks.nack(msg.seqNo);
        return;
      case MessageType.Suspect:
        return m.onSuspect(msg);
      case MessageType.Alive:
        return m.onAlive(msg.port === 0 ? { ...msg, port: this.#o.advertise.port } : msg, {
          source: from.host,
        });
      case MessageType.Dead:
        return m.onDead(msg);
      case MessageType.User:
        return this.#o.delegate.notifyMsg(msg.payload, from);
      case MessageType.Err:
        this.counters.messagesIgnored++;
        return;
    }
  }

  /** The shell's TCP ping for probe `seqNo` finished. */
  onTcpPingResult(seqNo: number, ok: boolean): void {
    this.prober.onTcpPingResult(seqNo, ok);
  }

  /** The ack to write back for a ping that arrived over TCP, or `null` if it is not for us. */
  answerStreamPing(ping: Ping): Ack | null {
    if (ping.node !== "" && ping.node !== this.name) return null;
    return { type: MessageType.Ack, seqNo: ping.seqNo, payload: null };
  }

  /** Our side of a push/pull: the whole table plus the delegate's state. */
  localPushPull(join: boolean): PushPullState {
    const nodes = this.membership.table.all().map((m) => ({
      name: m.name,
      addr: m.addr,
      port: m.port,
      meta: m.meta,
      incarnation: m.incarnation,
      state: m.state,
      vsn: m.vsn,
    }));
    return { nodes, userState: this.#o.delegate.localState(join) };
  }

  /**
   * Merges a peer's push/pull; `source` is the host that started it (absent when we did, which
   * exempts it from the new-name budget). Throws {@linkcode ProtocolVersionError} (nothing merged) when the
   * versions are incompatible.
   */
  mergeRemote(remote: PushPullState, join: boolean, source?: string): void {
    verifyProtocol(this.membership.table.all(), remote.nodes);
    mergeState(this.membership, this.name, remote.nodes, source);
    if (remote.userState.length > 0) this.#o.delegate.mergeRemoteState(remote.userState, join);
  }

  /** Starts a graceful leave; see {@linkcode Membership.leave}. */
  leave(onSent: () => void): boolean {
    return this.membership.leave(onSent);
  }

  /** Re-reads the delegate's metadata and announces it at a higher incarnation. */
  updateMeta(): void {
    this.membership.updateMeta(this.#meta());
  }

  /** Sends `[0x08][payload]` to `to` without piggyback or CRC (memberlist SendToAddress). */
  sendUser(to: Address, payload: Uint8Array): void {
    const part = encodeMessage({ type: MessageType.User, payload });
    this.#o.emit({ kind: "packet", to, parts: [part], crc: false });
  }

  /** Every member, self included. */
  members(): NodeInfo[] {
    return this.membership.table.all().map(nodeInfo);
  }

  /** Our own node. */
  localNode(): NodeInfo {
    return nodeInfo(this.membership.self());
  }

  /** Alive and suspect members, self included. */
  numActive(): number {
    let n = 0;
    for (const m of this.membership.table.all()) if (!isDeadOrLeft(m)) n++;
    return n;
  }

  /**
   * Pings member `name` directly at the address it gossips from; `done(true)` when it acks within
   * `timeoutMs`, `done(false)` otherwise (also for an unknown, dead or left member).
   */
  pingMember(name: string, timeoutMs: number, done: (acked: boolean) => void): void {
    const m = this.membership.table.get(name);
    if (m === undefined || isDeadOrLeft(m) || name === this.name) return done(false);
    this.prober.directPing(m, timeoutMs, done);
  }

  /** Looks a member up by name. */
  member(name: string): Member | undefined {
    return this.membership.table.get(name);
  }

  /** Members by status for metrics: suspects count as alive (serf's view), dead as failed. */
  membersByStatus(): { alive: number; failed: number; left: number } {
    const counts = { alive: 0, failed: 0, left: 0 };
    for (const m of this.membership.table.all()) {
      if (m.state === NodeState.Left) counts.left++;
      else if (m.state === NodeState.Dead) counts.failed++;
      else counts.alive++;
    }
    return counts;
  }

  /** Queue depths for metrics. */
  queueDepths(): { broadcasts: number; pendingAcks: number; suspicions: number; nodes: number } {
    return {
      broadcasts: this.membership.broadcasts.length,
      pendingAcks: this.prober.acks.size,
      suspicions: this.membership.suspicionCount,
      nodes: this.membership.table.size,
    };
  }

  /** Broadcasts to piggyback: memberlist's own first, then the delegate's. */
  getBroadcasts(overheadBytes: number, limitBytes: number): Uint8Array[] {
    return this.#gossip.getBroadcasts(overheadBytes, limitBytes);
  }

  /** The delegate's metadata; longer than MetaMaxSize is a programmer error, as in memberlist. */
  #meta(): Uint8Array {
    const meta = this.#o.delegate.nodeMeta(META_MAX_BYTES);
    if (meta.length > META_MAX_BYTES) {
      throw new RangeError(
        `Node metadata is ${meta.length} bytes, over the ${META_MAX_BYTES}-byte limit`,
      );
    }
    return meta;
  }

  #onPing(p: Ping, from: Address): void {
    if (p.node !== "" && p.node !== this.name) {
      this.counters.messagesIgnored++;
      return;
    }
    const ack: Ack = {
      type: MessageType.Ack,
      seqNo: p.seqNo,
      payload: this.#o.delegate.ackPayload(),
    };
    this.#gossip.sendMessage(replyAddress(p, from), ack);
  }

  #pushPullTick(): void {
    const partner = this.membership.table.randomMembers(
      1,
      (m) => m.name === this.name || m.state !== NodeState.Alive,
    )[0];
    if (partner) {
      this.#o.emit({ kind: "push-pull", to: { host: nodeInfo(partner).host, port: partner.port } });
    }
    const next = pushPullScaleMs(this.config.pushPullIntervalMs, this.membership.table.size);
    this.#timers.after(next, () => this.#pushPullTick());
  }
}
