/**
 * The sans-IO SWIM + Lifeguard core: one instance per node. Inputs are decoded messages, stream
 * results and ticks of its loops; outputs are {@linkcode GossipEffect}s handed to a sink that the
 * shell executes. No sockets, no ambient time or randomness, no `await`, and no timer: `start()`
 * and each tick of the probe, gossip and push/pull loops return a {@linkcode TimerDirective}
 * saying when that loop ticks next, the one-shot timers (ack deadlines, a probe's indirect stage,
 * suspicions) are asked for with `timer` effects, and the shell's {@linkcode TimerDriver}
 * (`loops.ts`) sets them on its clock and hands each one back to {@linkcode SwimCore.timerFired}.
 *
 * @example
 * ```ts
 * import { seededPrng } from "../clock.ts";
 * import { gossipConfig } from "./config.ts";
 * import { SwimCore } from "./swim_core.ts";
 * import type { GossipEffect } from "./effects.ts";
 * const effects: GossipEffect[] = [];
 * const clock = { nowMs: () => 0 }; // read only: the core sets no timer
 * const core = new SwimCore({
 *   name: "a", advertise: { host: "127.0.0.1", port: 7946 }, config: gossipConfig("lan"),
 *   delegate: { nodeMeta: () => new Uint8Array(), notifyMsg() {}, getBroadcasts: () => [],
 *     localState: () => new Uint8Array(), mergeRemoteState() {}, ackPayload: () => null },
 *   clock, prng: seededPrng(1), emit: (e) => effects.push(e),
 * });
 * const directives = core.start(); // when to tick the probe, gossip and push/pull loops
 * console.assert(core.numActive() === 1 && directives.length === 3);
 * ```
 *
 * @module
 */

import { type Logger, nullLogger } from "../log/logger.ts";
import { ipFromHost } from "./address.ts";
import { type GossipConfig, vsnOf } from "./config.ts";
import { type CoreCounters, newCoreCounters } from "./effects.ts";
import { isDeadOrLeft, type Member, nodeInfo } from "./member_table.ts";
import type { Membership } from "./membership.ts";
import type { Disseminator } from "./gossip.ts";
import { type InboundParts, routeMessage, streamPingAck } from "./inbound.ts";
import {
  type CoreTimer,
  firstTicks,
  halt,
  isLoopTimer,
  loopIntervalMs,
  type LoopTimer,
  nextTick,
  schedule,
  type TimerDirective,
} from "./loops.ts";
import type { Prober } from "./probe.ts";
import { swimParts } from "./_swim_parts.ts";
import { mergeState, pushNodeState, pushPullPartner } from "./push_pull_merge.ts";
import type { Address, NodeInfo } from "./types.ts";
import type { PushPullState, SwimCoreOptions } from "./swim_options.ts";
import { verifyProtocol } from "./version_check.ts";
import { type Ack, encodeMessage, type Message, MessageType, type Ping } from "./wire/messages.ts";

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
  readonly #gossip: Disseminator;
  readonly #inbound: InboundParts;
  #running = false;
  /** The gossip loop stopped after a round with nothing queued anywhere; a broadcast resumes it. */
  #gossipIdle = false;

  constructor(opts: SwimCoreOptions) {
    this.#o = opts;
    this.name = opts.name;
    this.config = opts.config;
    this.#logger = opts.logger ?? nullLogger;
    this.#advertiseAddr = ipFromHost(opts.advertise.host);
    const parts = swimParts(opts, {
      logger: this.#logger,
      counters: this.counters,
      advertiseAddr: this.#advertiseAddr,
      onBroadcastQueued: () => this.broadcastQueued(),
    });
    this.membership = parts.membership;
    this.prober = parts.prober;
    this.#gossip = parts.gossip;
    this.#inbound = parts.inbound;
  }

  /**
   * Announces ourselves (alive, incarnation 1) and returns when each loop ticks first (see
   * {@linkcode firstTicks}). Nothing when already running.
   */
  start(): TimerDirective[] {
    if (this.#running) return [];
    this.announce();
    this.#gossipIdle = false;
    return firstTicks(this.config, this.#o.prng, this.#o.firstPushPullWithinMs);
  }

  /**
   * One tick of loop `timer`: a probe, a gossip round, or a push/pull with a random alive member.
   * Sets no timer: returns when the loop ticks next ({@linkcode nextTick}), or a halt once stopped.
   */
  tick(timer: LoopTimer): TimerDirective {
    if (!this.#running || loopIntervalMs(this.config, timer) <= 0) return halt(timer);
    if (timer === "probe") this.prober.tick();
    else if (timer === "gossip") {
      this.#gossip.gossipRound();
      if (this.#nothingToGossip()) {
        this.#gossipIdle = true;
        return halt(timer);
      }
    } else {
      const partner = pushPullPartner(this.membership, this.name);
      if (partner) this.#o.emit({ kind: "push-pull", to: partner });
    }
    return nextTick(this.config, timer, this.membership.table.size);
  }

  /**
   * A broadcast was queued (ours or the delegate's): an idle gossip loop resumes, its next round
   * at a random point of one interval, as a free-running ticker's would be (issue 17: an idle
   * node does not wake five times a second to find nothing to send).
   */
  broadcastQueued(): void {
    if (!this.#gossipIdle || !this.#running) return;
    this.#gossipIdle = false;
    const after = Math.floor(this.#o.prng() * this.config.gossipIntervalMs);
    this.#o.emit({ kind: "timer", directive: schedule("gossip", after) });
  }

  /**
   * Timer `timer` fired (the shell's {@linkcode TimerDriver} calls this): a loop ticks (see
   * {@linkcode SwimCore.tick}) and says when it ticks next; a one-shot timer runs what it guards
   * (an ack's deadline, a probe's indirect pings, a suspicion's expiry) and returns `null`. A timer
   * the core no longer waits for, or any after `stop()`, does nothing.
   */
  timerFired(timer: CoreTimer): TimerDirective | null {
    if (isLoopTimer(timer)) return this.tick(timer);
    if (!this.#running) return null;
    const colon = timer.indexOf(":");
    const what = timer.slice(0, colon);
    const arg = timer.slice(colon + 1);
    if (what === "ack") this.prober.acks.timedOut(Number(arg));
    else if (what === "indirect") this.prober.indirectDue(Number(arg));
    else this.membership.suspicionTimedOut(arg);
    return null;
  }

  /** Nothing queued anywhere (and the delegate can say so): the next round would send nothing. */
  #nothingToGossip(): boolean {
    const delegatePending = this.#o.delegate.pendingBroadcasts?.();
    return delegatePending === 0 && this.membership.broadcasts.length === 0;
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

  /**
   * Drops the running probe, the pending acks and the suspicions, emitting a halt for each of
   * their timers; every later tick halts its loop (the shell's {@linkcode TimerDriver} cancels
   * the pending ones). Further input is ignored.
   */
  stop(): void {
    this.#running = false;
    this.prober.stop();
    this.membership.stop();
  }

  /** Handles one decoded message that arrived by UDP from `from` (see `inbound.ts`). */
  onMessage(msg: Message, from: Address): void {
    if (this.#running) routeMessage(this.#inbound, msg, from);
  }

  /** The shell's TCP ping for probe `seqNo` finished. */
  onTcpPingResult(seqNo: number, ok: boolean): void {
    this.prober.onTcpPingResult(seqNo, ok);
  }

  /** The ack to write back for a ping that arrived over TCP, or `null` if it is not for us. */
  answerStreamPing(ping: Ping): Ack | null {
    return streamPingAck(this.name, ping);
  }

  /** Our side of a push/pull: the whole table plus the delegate's state. */
  localPushPull(join: boolean): PushPullState {
    const nodes = this.membership.table.all().map(pushNodeState);
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
}
