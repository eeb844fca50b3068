/**
 * Serf's membership lifecycle (wire spec §7.6, §7.7, §7.11, §7.12): leave intents (with self
 * refutation), push/pull merging, join, graceful leave, force-leave, name-conflict resolution and
 * the periodic reaper and reconnector. It owns serf's state (alive, leaving, left, shutdown) and
 * sees the rest of the instance through a {@linkcode LifecycleContext}.
 *
 * @module
 */

import { type Clock, deadline, type Prng, randomInt, sleep, type TimerId } from "../clock.ts";
import type { GossipHandle, NodeInfo } from "../gossip/types.ts";
import type { Logger } from "../log/logger.ts";
import { joinHostPort } from "./addr.ts";
import { admitLTime, type ClockGuardHost } from "./clock_guard.ts";
import type { SerfConfig } from "./config.ts";
import { SerfStateError } from "./errors.ts";
import { MemberStatus, type MemberTable } from "./members.ts";
import { onNameConflict } from "./name_conflict.ts";
import {
  encodeSerfMessage,
  type LeaveMessage,
  type PushPullSerfMessage,
  SerfMessageType,
} from "./messages.ts";
import type { QueryParams } from "./queries.ts";
import type { SerfState } from "./serf_options.ts";
import { type UserEventContext, userEventIn } from "./user_events.ts";
import { admissibleLTime, type LamportClock } from "./lamport.ts";

/** What {@linkcode SerfLifecycle} sees of its serf instance (built by `serf_contexts.ts`). */
export interface LifecycleContext {
  readonly cfg: Pick<
    SerfConfig,
    | "reapIntervalMs"
    | "reconnectIntervalMs"
    | "reconnectTimeoutMs"
    | "tombstoneTimeoutMs"
    | "recentIntentTimeoutMs"
    | "broadcastTimeoutMs"
    | "leavePropagateDelayMs"
    | "enableNameConflictResolution"
  >;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly log: Logger;
  readonly localName: string;
  /** Where refused Lamport times are counted and logged. */
  readonly guard: ClockGuardHost;
  readonly memberClock: LamportClock;
  readonly eventClock: LamportClock;
  readonly queryClock: LamportClock;
  /** The user-event ring's floor, raised by a join that ignores old events. */
  readonly eventRing: { minTime: number };
  readonly table: MemberTable;
  /** Events merged from push/pull go through here. */
  readonly userEvents: UserEventContext;
  /** The memberlist node below (throws before serf is attached). */
  handle(): GossipHandle;
  /** Queues an intent broadcast; `finished` runs once it was sent enough times or pruned. */
  queueIntent(raw: Uint8Array, finished?: () => void): void;
  /** Sends a query (the name-conflict vote). */
  query(name: string, payload: Uint8Array, params: QueryParams): void;
  /** We are leaving gracefully (the snapshot fsyncs). */
  onLeaving(): void;
  /** Shuts the whole instance down and says why (a lost name conflict). */
  shutdown(reason: string): void;
}

/** The lifecycle of one serf instance; owned by `Serf`. */
export class SerfLifecycle {
  readonly #s: LifecycleContext;
  #state: SerfState = "alive";
  #reapTimer: TimerId | null = null;
  #reconnectTimer: TimerId | null = null;
  #stopped = false;
  /** Set while a join that ignores old events runs. */
  #joinIgnore = false;

  /** The lifecycle of the instance behind `ctx`. */
  constructor(ctx: LifecycleContext) {
    this.#s = ctx;
  }

  /** alive, leaving, left or shutdown. */
  get state(): SerfState {
    return this.#state;
  }

  /** Broadcasts a join intent about us at Lamport time `lTime`. */
  broadcastJoin(lTime: number): void {
    const s = this.#s;
    const msg = { type: SerfMessageType.Join, lTime, node: s.localName } as const;
    s.memberClock.witness(lTime);
    s.table.joinIntent(msg.node, lTime);
    s.queueIntent(encodeSerfMessage(msg));
  }

  /** Starts the reaper and reconnect timers. */
  start(): void {
    this.#stopped = false;
    this.#scheduleReap();
    this.#scheduleReconnect();
  }

  /** Becomes shut down and stops the timers; false when already shut down. */
  shutdown(): boolean {
    if (this.#state === "shutdown") return false;
    this.#state = "shutdown";
    this.#stopped = true;
    const { clock } = this.#s;
    if (this.#reapTimer !== null) clock.clearTimer(this.#reapTimer);
    if (this.#reconnectTimer !== null) clock.clearTimer(this.#reconnectTimer);
    this.#reapTimer = this.#reconnectTimer = null;
    return true;
  }

  #scheduleReap(): void {
    if (this.#stopped) return;
    this.#reapTimer = this.#s.clock.setTimer(this.#s.cfg.reapIntervalMs, () => {
      this.reap();
      this.#scheduleReap();
    });
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    this.#reconnectTimer = this.#s.clock.setTimer(this.#s.cfg.reconnectIntervalMs, () => {
      this.reconnect();
      this.#scheduleReconnect();
    });
  }

  /** Erases old failed and left members and expires stale intents. */
  reap(): void {
    const { cfg, table } = this.#s;
    table.reap(cfg.reconnectTimeoutMs, cfg.tombstoneTimeoutMs);
    table.expireIntents(cfg.recentIntentTimeoutMs);
  }

  /** Maybe retries one failed member, with probability failed / alive (serf's rule). */
  reconnect(): void {
    const s = this.#s;
    const failed = s.table.withStatus(MemberStatus.Failed);
    if (failed.length === 0) return;
    const left = s.table.withStatus(MemberStatus.Left).length;
    const alive = Math.max(1, s.table.size - failed.length - left);
    if (s.prng() > failed.length / alive) return;
    const m = failed[randomInt(s.prng, failed.length)]!;
    const addr = `${m.name}/${joinHostPort(m.host, m.port)}`;
    s.log.debug("serf.reconnect.attempt", { node: m.name, addr });
    s.handle().join([addr]).catch((e: unknown) => {
      s.log.debug("serf.reconnect.failed", { node: m.name, error: String(e) });
    });
  }

  /** Handles a leave intent; returns whether to re-broadcast it. */
  leaveIntent(m: Omit<LeaveMessage, "type">): boolean {
    const s = this.#s;
    if (!admitLTime(s.guard, s.memberClock, m.lTime, "leave")) return false;
    s.memberClock.witness(m.lTime);
    const selfAlive = this.#state === "alive" ? s.localName : undefined;
    const r = s.table.leaveIntent(m.node, m.lTime, m.prune, selfAlive);
    if (r === "refute") {
      s.log.info("serf.leave_intent.refuted", { lTime: m.lTime });
      this.broadcastJoin(s.memberClock.time());
      return false;
    }
    return r === "accepted";
  }

  /** Merges a peer's push/pull state (§7.7). */
  mergePushPull(pp: PushPullSerfMessage, join: boolean): void {
    const s = this.#s;
    const g = s.guard;
    const catchUp = (clock: LamportClock, v: number, what: string) => {
      if (v > 0 && admitLTime(g, clock, v - 1, what)) clock.witness(v - 1);
    };
    catchUp(s.memberClock, pp.lTime, "push_pull.member");
    catchUp(s.eventClock, pp.eventLTime, "push_pull.event");
    catchUp(s.queryClock, pp.queryLTime, "push_pull.query");
    const left = new Set(pp.leftMembers);
    for (const name of left) {
      this.leaveIntent({ lTime: (pp.statusLTimes.get(name) ?? 0) + 1, node: name, prune: false });
    }
    for (const [name, lTime] of pp.statusLTimes) {
      if (left.has(name) || !admitLTime(g, s.memberClock, lTime, "push_pull.status")) continue;
      s.memberClock.witness(lTime);
      s.table.joinIntent(name, lTime);
    }
    const eventsAdmissible = admissibleLTime(s.eventClock.time(), pp.eventLTime);
    if (join && this.#joinIgnore && eventsAdmissible && pp.eventLTime > s.eventRing.minTime) {
      s.eventRing.minTime = pp.eventLTime;
    }
    for (const slot of pp.events) {
      if (slot === null) continue;
      for (const e of slot.events) {
        const msg = { type: SerfMessageType.UserEvent, lTime: slot.lTime, cc: false } as const;
        userEventIn(s.userEvents, { ...msg, name: e.name, payload: e.payload });
      }
    }
  }

  /** memberlist join, then our join intent. `ignoreOld` skips events from before the join. */
  async join(addrs: readonly string[], ignoreOld: boolean): Promise<number> {
    const s = this.#s;
    if (this.#state !== "alive") throw new SerfStateError(`Cannot join while ${this.#state}`);
    this.#joinIgnore = ignoreOld;
    try {
      const n = await s.handle().join(addrs);
      if (n > 0) this.broadcastJoin(s.memberClock.time());
      return n;
    } finally {
      this.#joinIgnore = false;
    }
  }

  /**
   * Graceful leave (§7.12): leaving, leave intent gossiped (or `broadcastTimeoutMs`), memberlist
   * leave, `leavePropagateDelayMs`, left.
   */
  async leave(): Promise<void> {
    const s = this.#s;
    if (this.#state !== "alive") throw new SerfStateError(`Cannot leave while ${this.#state}`);
    this.#state = "leaving";
    s.onLeaving();
    const msg = {
      type: SerfMessageType.Leave,
      lTime: s.memberClock.time(),
      node: s.localName,
      prune: false,
    } as const;
    s.memberClock.increment();
    this.leaveIntent(msg);
    const others = s.table.all().some((m) =>
      m.name !== s.localName && m.status === MemberStatus.Alive
    );
    if (others) {
      const sent = new Promise<void>((done) => s.queueIntent(encodeSerfMessage(msg), done));
      await deadline(s.clock, s.cfg.broadcastTimeoutMs, sent);
    }
    await s.handle().leave(s.cfg.broadcastTimeoutMs);
    await sleep(s.clock, s.cfg.leavePropagateDelayMs);
    this.#state = "left";
    s.log.info("serf.left", {});
  }

  /** Force-leave: a leave intent about another node, handled locally and gossiped. */
  forceLeave(node: string, prune: boolean): void {
    const s = this.#s;
    const msg = { type: SerfMessageType.Leave, lTime: s.memberClock.time(), node, prune } as const;
    s.memberClock.increment();
    this.leaveIntent(msg);
    s.queueIntent(encodeSerfMessage(msg));
  }

  /** memberlist saw another node claim a name (§7.11): logs it; ours, while alive, is voted on. */
  conflict(existing: NodeInfo, other: NodeInfo): void {
    onNameConflict(this.#s, { existing, other, alive: this.#state === "alive" });
  }
}
