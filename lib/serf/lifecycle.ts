/**
 * Serf's membership lifecycle (wire spec §7.6, §7.7, §7.11, §7.12): leave intents (with self
 * refutation), push/pull merging, join, graceful leave, force-leave, name-conflict resolution and
 * the periodic reaper and reconnector.
 *
 * @module
 */

import { deadline, randomInt, sleep, type TimerId } from "../clock.ts";
import type { NodeInfo } from "../gossip/types.ts";
import { utf8 } from "../gossip/wire/msgpack.ts";
import { joinHostPort, sameIp } from "./addr.ts";
import { admitLTime } from "./clock_guard.ts";
import { SerfStateError } from "./errors.ts";
import { decodeConflictResponse } from "./internal_messages.ts";
import { MemberStatus } from "./members.ts";
import {
  encodeSerfMessage,
  type LeaveMessage,
  type PushPullSerfMessage,
  SerfMessageType,
} from "./messages.ts";
import type { Serf } from "./serf.ts";
import { guardOf } from "./serf_contexts.ts";
import { type UserEventContext, userEventIn } from "./user_events.ts";
import { admissibleLTime, type LamportClock } from "./lamport.ts";

/** The lifecycle of one serf instance; owned by {@linkcode Serf}. */
export class SerfLifecycle {
  readonly #s: Serf;
  readonly #userEvents: UserEventContext;
  #reapTimer: TimerId | null = null;
  #reconnectTimer: TimerId | null = null;
  #stopped = false;
  /** Set while a join that ignores old events runs. */
  #joinIgnore = false;

  /** The lifecycle of `serf`; events from push/pull go through `userEvents`. */
  constructor(serf: Serf, userEvents: UserEventContext) {
    this.#s = serf;
    this.#userEvents = userEvents;
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

  /** Stops the timers. */
  stop(): void {
    this.#stopped = true;
    const { clock } = this.#s.deps;
    if (this.#reapTimer !== null) clock.clearTimer(this.#reapTimer);
    if (this.#reconnectTimer !== null) clock.clearTimer(this.#reconnectTimer);
    this.#reapTimer = this.#reconnectTimer = null;
  }

  #scheduleReap(): void {
    if (this.#stopped) return;
    this.#reapTimer = this.#s.deps.clock.setTimer(this.#s.cfg.reapIntervalMs, () => {
      this.reap();
      this.#scheduleReap();
    });
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    this.#reconnectTimer = this.#s.deps.clock.setTimer(this.#s.cfg.reconnectIntervalMs, () => {
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
    if (s.deps.prng() > failed.length / alive) return;
    const m = failed[randomInt(s.deps.prng, failed.length)]!;
    const addr = `${m.name}/${joinHostPort(m.host, m.port)}`;
    s.deps.log.debug("serf.reconnect.attempt", { node: m.name, addr });
    s.handle.join([addr]).catch((e: unknown) => {
      s.deps.log.debug("serf.reconnect.failed", { node: m.name, error: String(e) });
    });
  }

  /** Handles a leave intent; returns whether to re-broadcast it. */
  leaveIntent(m: Omit<LeaveMessage, "type">): boolean {
    const s = this.#s;
    if (!admitLTime(guardOf(s), s.memberClock, m.lTime, "leave")) return false;
    s.memberClock.witness(m.lTime);
    const selfAlive = s.state === "alive" ? s.localName : undefined;
    const r = s.table.leaveIntent(m.node, m.lTime, m.prune, selfAlive);
    if (r === "refute") {
      s.deps.log.info("serf.leave_intent.refuted", { lTime: m.lTime });
      this.broadcastJoin(s.memberClock.time());
      return false;
    }
    return r === "accepted";
  }

  /** Merges a peer's push/pull state (§7.7). */
  mergePushPull(pp: PushPullSerfMessage, join: boolean): void {
    const s = this.#s;
    const g = guardOf(s);
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
        userEventIn(this.#userEvents, { ...msg, name: e.name, payload: e.payload });
      }
    }
  }

  /** memberlist join, then our join intent. `ignoreOld` skips events from before the join. */
  async join(addrs: readonly string[], ignoreOld: boolean): Promise<number> {
    const s = this.#s;
    if (s.state !== "alive") throw new SerfStateError(`Cannot join while ${s.state}`);
    this.#joinIgnore = ignoreOld;
    try {
      const n = await s.handle.join(addrs);
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
    if (s.state !== "alive") throw new SerfStateError(`Cannot leave while ${s.state}`);
    s.state = "leaving";
    s.opts.snapshot?.leave();
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
      await deadline(s.deps.clock, s.cfg.broadcastTimeoutMs, sent);
    }
    await s.handle.leave(s.cfg.broadcastTimeoutMs);
    await sleep(s.deps.clock, s.cfg.leavePropagateDelayMs);
    s.state = "left";
    s.deps.log.info("serf.left", {});
  }

  /** Force-leave: a leave intent about another node, handled locally and gossiped. */
  forceLeave(node: string, prune: boolean): void {
    const s = this.#s;
    const msg = { type: SerfMessageType.Leave, lTime: s.memberClock.time(), node, prune } as const;
    s.memberClock.increment();
    this.leaveIntent(msg);
    s.queueIntent(encodeSerfMessage(msg));
  }

  /** memberlist saw another node claim a name (§7.11). */
  conflict(existing: NodeInfo, other: NodeInfo): void {
    const s = this.#s;
    s.deps.log.warn("serf.name_conflict", {
      name: other.name,
      existing: joinHostPort(existing.host, existing.port),
      other: joinHostPort(other.host, other.port),
    });
    if (other.name !== s.localName || !s.cfg.enableNameConflictResolution) return;
    if (s.state !== "alive") return;
    const local = s.handle.localNode();
    const isLocal = (n: NodeInfo) => n.host === local.host && n.port === local.port;
    const rival = isLocal(other) ? existing : other;
    s.query("_serf_conflict", utf8(s.localName), {
      onDone: (r) => this.#resolveConflict(r.responses, joinHostPort(rival.host, rival.port)),
    });
  }

  #resolveConflict(responses: readonly { payload: Uint8Array }[], rival: string): void {
    const s = this.#s;
    const local = s.handle.localNode();
    let valid = 0, matching = 0;
    for (const r of responses) {
      try {
        const m = decodeConflictResponse(r.payload);
        if (m === null) continue;
        valid++;
        if (sameIp(m.addr, local.addr) && m.port === local.port) matching++;
      } catch {
        // An undecodable vote does not count.
      }
    }
    const majority = Math.floor(valid / 2) + 1;
    if (matching >= majority) {
      s.deps.log.info("serf.name_conflict.won", { votes: matching, responses: valid });
      return;
    }
    s.deps.log.error("serf.name_conflict.lost", { votes: matching, responses: valid, rival });
    s.shutdown();
    s.opts.onShutdown?.(
      `node name ${
        JSON.stringify(s.localName)
      } is already used by a live member at ${rival}; pick a unique --node`,
    );
  }
}
