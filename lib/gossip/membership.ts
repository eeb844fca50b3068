/**
 * The membership state machine (wire spec §6.7): alive/suspect/dead/left with incarnations,
 * refutation, Lifeguard suspicion timers and the named broadcast queue they feed.
 *
 * Pure: every change is reported as an effect, and each suspicion's timeout is asked of the shell
 * as a `timer` effect, coming back through {@linkcode Membership.suspicionTimedOut}.
 *
 * @module
 */

import type { Prng } from "../clock.ts";
import { Awareness } from "./awareness.ts";
import { TransmitLimitedQueue } from "./broadcast_queue.ts";
import type { CoreContext } from "./effects.ts";
import {
  bytesEqual,
  isDeadOrLeft,
  type Member,
  type MemberObserver,
  MemberTable,
  nodeInfo,
  vsnValid,
} from "./member_table.ts";
import { AliveAdmission } from "./admission.ts";
import { entryForAlive } from "./alive_entry.ts";
import { aliveOf, Incarnations } from "./incarnation.ts";
import { suspicionBounds, SuspicionTimers } from "./suspicion.ts";
import {
  type Alive,
  type Dead,
  encodeMessage,
  type Message,
  MessageType,
  NodeState,
  type Suspect,
} from "./wire/messages.ts";

export type { MemberObserver } from "./member_table.ts";

/** What the state machine needs from its owner. */
export interface MembershipDeps extends CoreContext {
  readonly prng: Prng;
  /** Told about every state or incarnation change, for simulation invariants. */
  readonly observer?: MemberObserver;
  /** Called after each broadcast is queued (an idle gossip loop resumes). */
  readonly onBroadcastQueued?: (() => void) | undefined;
  /** Which other names may enter the table (`SwimCoreOptions.admit`). */
  readonly admit?: (node: string) => boolean;
}

/** The node table and the rules that change it. */
export class Membership {
  readonly table: MemberTable;
  readonly awareness: Awareness;
  /** memberlist's own broadcasts (alive/suspect/dead), named by node. */
  readonly broadcasts: TransmitLimitedQueue;
  readonly #d: MembershipDeps;
  readonly #suspicions: SuspicionTimers;
  readonly #incarnations = new Incarnations();
  #leaving = false;
  readonly #admission: AliveAdmission;

  constructor(deps: MembershipDeps) {
    this.#d = deps;
    this.#admission = new AliveAdmission(deps);
    this.table = new MemberTable(deps.prng);
    this.awareness = new Awareness(deps.config.awarenessMaxMultiplier);
    this.#suspicions = new SuspicionTimers({
      clock: deps.clock,
      timers: (directive) => deps.emit({ kind: "timer", directive }),
      onExpired: (name) => this.#suspicionExpired(name),
    });
    this.broadcasts = new TransmitLimitedQueue({
      retransmitMult: deps.config.retransmitMult,
      numNodes: () => this.table.size,
      onQueued: deps.onBroadcastQueued,
    });
  }

  /** True once {@linkcode Membership.leave} ran. */
  get leaving(): boolean {
    return this.#leaving;
  }

  /** Our own record (exists after {@linkcode Membership.bootstrap}). */
  self(): Member {
    const me = this.table.get(this.#d.name);
    if (!me) throw new Error("Membership used before bootstrap");
    return me;
  }

  /** Running suspicion timers (for metrics and tests). */
  get suspicionCount(): number {
    return this.#suspicions.size;
  }

  /** Announces ourselves: alive at the next incarnation (1 at start), as memberlist's setAlive. */
  bootstrap(addr: Uint8Array, port: number, meta: Uint8Array, vsn: Uint8Array): void {
    const a: Alive = {
      type: MessageType.Alive,
      incarnation: this.#incarnations.next(),
      node: this.#d.name,
      addr,
      port,
      meta,
      vsn,
    };
    this.onAlive(a, { bootstrap: true });
  }

  /** Re-announces ourselves with new metadata at a higher incarnation (memberlist UpdateNode). */
  updateMeta(meta: Uint8Array): void {
    const me = this.self();
    this.onAlive(aliveOf(me, this.#incarnations.next(), meta), { bootstrap: true });
  }

  /**
   * Marks us leaving and broadcasts our own `dead{From: self}`. `onSent` runs when that broadcast
   * has been fully transmitted (or is dropped). Returns false when no other node is alive, so
   * there is nothing to wait for.
   */
  leave(onSent: () => void): boolean {
    if (this.#leaving) return false;
    this.#leaving = true;
    const me = this.self();
    const d: Dead = {
      type: MessageType.Dead,
      incarnation: me.incarnation,
      node: me.name,
      from: me.name,
    };
    this.onDead(d, onSent);
    return this.table.all().some((m) => m.name !== this.#d.name && !isDeadOrLeft(m));
  }

  /**
   * Applies an alive message (§6.7). `bootstrap` is for our own announcements; `source` is the
   * host it came from when that host did not answer a push/pull we started (see
   * `NEW_NAMES_PER_SOURCE_BURST` in `admission.ts`).
   */
  onAlive(a: Alive, opts: { bootstrap?: boolean; source?: string } = {}): void {
    const d = this.#d;
    const isSelf = a.node === d.name;
    if ((this.#leaving && isSelf) || !vsnValid(a.vsn)) return this.#ignored();
    if (!isSelf && d.admit && !d.admit(a.node)) return this.#ignored();
    if (!isSelf && !this.#admission.admits(a, this.table.get(d.name)?.vsn)) return;
    const entry = entryForAlive(
      { table: this.table, admission: this.#admission, deps: d },
      a,
      opts.source,
    );
    if (!entry) return;
    const { m, addressChange } = entry;
    if (!isSelf && !addressChange && a.incarnation <= m.incarnation) return this.#ignored();
    if (isSelf && a.incarnation < m.incarnation) return this.#ignored();
    this.#suspicions.clear(a.node);
    const before = this.#snap(m);
    const oldMeta = m.meta;
    if (isSelf && !opts.bootstrap) {
      const same = a.incarnation === m.incarnation && bytesEqual(a.meta, m.meta) &&
        bytesEqual(a.vsn, m.vsn);
      if (same) return;
      this.#refute(m, a.incarnation);
      d.logger.warn("member.refuted", { node: a.node, accusation: "alive", inc: a.incarnation });
    } else {
      this.#broadcast(a.node, a);
      this.#store(m, a);
    }
    this.#changed(m, before);
    if (before.state === NodeState.Dead || before.state === NodeState.Left) {
      d.emit({ kind: "member-join", node: nodeInfo(m) });
    } else if (!bytesEqual(oldMeta, m.meta) || addressChange) {
      d.emit({ kind: "member-update", node: nodeInfo(m) });
    }
  }

  #store(m: Member, a: Alive): void {
    if (a.vsn.length > 0) m.vsn = a.vsn;
    m.incarnation = a.incarnation;
    m.meta = a.meta;
    m.addr = a.addr;
    m.port = a.port;
    if (m.state !== NodeState.Alive) {
      m.state = NodeState.Alive;
      m.stateChangeMs = this.#d.clock.nowMs();
    }
  }

  /** Applies a suspect message (§6.7). */
  onSuspect(s: Suspect): void {
    const d = this.#d;
    const m = this.table.get(s.node);
    if (!m || s.incarnation < m.incarnation) return this.#ignored();
    if (this.#suspicions.has(s.node)) {
      if (this.#suspicions.confirm(s.node, s.from)) this.#broadcast(s.node, s);
      return;
    }
    if (m.state !== NodeState.Alive) return this.#ignored();
    if (s.node === d.name) {
      this.#refute(m, s.incarnation);
      d.logger.warn("member.refuted", { node: s.node, accusation: "suspect", from: s.from });
      return;
    }
    this.#broadcast(s.node, s);
    const before = this.#snap(m);
    m.incarnation = s.incarnation;
    m.state = NodeState.Suspect;
    m.stateChangeMs = d.clock.nowMs();
    this.#changed(m, before);
    this.#suspicions.start(s.node, suspicionBounds(d.config, this.table.size), s.from);
    d.counters.suspicionsStarted++;
    d.logger.info("member.suspect", { node: s.node, from: s.from, incarnation: s.incarnation });
  }

  /** Applies a dead message (§6.7); `from === node` means a graceful leave. */
  onDead(dm: Dead, onSent?: () => void): void {
    const d = this.#d;
    const m = this.table.get(dm.node);
    if (!m || dm.incarnation < m.incarnation) return this.#ignored();
    this.#suspicions.clear(dm.node);
    if (isDeadOrLeft(m)) return this.#ignored();
    if (dm.node === d.name && !this.#leaving) {
      this.#refute(m, dm.incarnation);
      d.logger.warn("member.refuted", { node: dm.node, accusation: "dead", from: dm.from });
      return;
    }
    this.#broadcast(dm.node, dm, onSent);
    const before = this.#snap(m);
    m.incarnation = dm.incarnation;
    m.state = dm.node === dm.from ? NodeState.Left : NodeState.Dead;
    this.#changed(m, before);
    m.stateChangeMs = d.clock.nowMs();
    const left = m.state === NodeState.Left;
    d.logger[left ? "info" : "warn"](left ? "member.left" : "member.failed", {
      node: m.name,
      from: dm.from,
    });
    d.emit({ kind: "member-leave", node: nodeInfo(m) });
  }

  /** Stops every suspicion, cancelling its timer. */
  stop(): void {
    this.#suspicions.clearAll();
  }

  /** The shell's timer for the suspicion of `name` fired (see `suspicion.ts`). */
  suspicionTimedOut(name: string): void {
    this.#suspicions.expired(name);
  }

  #refute(me: Member, accusedIncarnation: number): void {
    const inc = this.#incarnations.refuting(accusedIncarnation);
    const before = this.#snap(me);
    me.incarnation = inc;
    this.#changed(me, before);
    this.awareness.applyDelta(1);
    this.#d.counters.refutations++;
    this.#broadcast(me.name, aliveOf(me, inc, me.meta));
  }

  /** A suspicion ran out: declare the node dead if it is still suspect (memberlist's timeout fn). */
  #suspicionExpired(name: string): void {
    const m = this.table.get(name);
    if (!m || m.state !== NodeState.Suspect) return;
    this.#d.counters.deathsDeclared++;
    this.onDead({
      type: MessageType.Dead,
      incarnation: m.incarnation,
      node: name,
      from: this.#d.name,
    });
  }

  #broadcast(node: string, msg: Message, finished?: () => void): void {
    const b = finished
      ? { message: encodeMessage(msg), name: node, finished }
      : { message: encodeMessage(msg), name: node };
    this.broadcasts.queue(b);
  }

  #snap(m: Member): { state: NodeState; incarnation: number } {
    return { state: m.state, incarnation: m.incarnation };
  }

  #changed(m: Member, prev: { state: NodeState; incarnation: number }): void {
    if (prev.state !== m.state || prev.incarnation !== m.incarnation) this.#d.observer?.(m, prev);
  }

  /** Reaps dead/left members past the gossip-to-the-dead window (also done on probe wrap). */
  reaped(gone: readonly Member[]): void {
    for (const m of gone) this.#d.observer?.(m, this.#snap(m), true);
  }

  #ignored(): void {
    this.#d.counters.messagesIgnored++;
  }
}
