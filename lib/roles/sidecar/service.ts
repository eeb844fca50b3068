/**
 * The sidecar's event shell: turns serf events (announce and depart queries, member events) and
 * solicit answers into registry changes, and pushes the registry's desired servers to the HAProxy
 * reconciler after every change. Timers: the periodic solicit and the orphan grace deadline.
 *
 * @module
 */

import type { Clock, TimerId } from "../../clock.ts";
import type { CheckOptions } from "../../haproxy/commands.ts";
import { ValidationError } from "../../haproxy/errors.ts";
import type { Reconciler } from "../../haproxy/reconciler.ts";
import type { Logger } from "../../log/logger.ts";
import { QUERY } from "../../proto.ts";
import { SerfError } from "../../serf/errors.ts";
import type { QueryEvent, SerfEvent } from "../../serf/events.ts";
import { type Member, MemberStatus } from "../../serf/members.ts";
import type { Serf } from "../../serf/serf.ts";
import { adoptedServers } from "./adopt.ts";
import {
  type AnnounceOutcome,
  cut,
  encodeVerdict,
  handleAnnounce,
  memberView,
  REASON_LENGTH_MAX,
  sourceMismatch,
} from "./announce.ts";
import { encodeDepartAnswer } from "./depart.ts";
import { joinHostPort } from "../../serf/addr.ts";
import { DrainWatch } from "./drain_watch.ts";
import type { SidecarMeter } from "./metrics.ts";
import { applyMemberEvent, type MemberChange } from "./member_events.ts";
import type { Registry } from "./registry.ts";

/** Settings of a {@linkcode SidecarService}. */
export interface SidecarServiceOptions {
  readonly serf: Serf;
  readonly reconciler: Reconciler;
  readonly registry: Registry;
  readonly backends: readonly string[];
  /** Check options of the servers the sidecar adds (used for adopted servers too). */
  readonly check: CheckOptions;
  readonly solicitIntervalMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Interval of the drain watcher's passes. @default 200 */
  readonly drainPollMs?: number;
  /** Where query counts and member gauges are recorded. */
  readonly meter?: SidecarMeter;
  /**
   * Joins a gossip address (`host:port`): how the sidecar learns a node that announced itself
   * before gossip introduced it. Without it, such announces are only waited for.
   */
  readonly join?: (addr: string) => Promise<number>;
}

/** Tag filter of `solicit`: only tasks answer. */
const SOLICIT_FILTER: ReadonlyMap<string, string> = new Map([["role", "^task$"]]);
/** True for members that answer `solicit` (the same test as {@linkcode SOLICIT_FILTER}). */
function isTask(m: Member): boolean {
  return m.tags.get("role") === "task";
}
/** Delays of the extra passes after HAProxy is told to reload: the new worker starts empty. */
const RELOAD_PASS_DELAYS_MS = [100, 300, 700, 1500, 3000];
/** Longest wait for the sender of an announce to become a known, alive member. */
const UNKNOWN_SENDER_WAIT_MS = 2000;
/** How often a waiting announce looks again. */
const UNKNOWN_SENDER_POLL_MS = 50;
/** The answer must still reach the task before its query's deadline. */
const UNKNOWN_SENDER_MARGIN_MS = 500;
/** Most joins of unknown announcers at once (each is one push/pull; announces come from anyone). */
const LEARN_JOINS_MAX = 4;
/** After member events while converging, the solicit that completes convergence waits this long. */
const CONVERGE_SOLICIT_DELAY_MS = 250;
/**
 * Longest orphan removal is held back while the sidecar has not converged (no other member
 * heard from, or no solicit completed since). Past it, a sidecar alone in its cluster removes the
 * servers nobody claimed: they belong to tasks that are gone for good.
 */
export const CONVERGE_MAX_MS = 5 * 60_000;
const MEMBER_EVENT_NAMES: Record<MemberChange["action"], string> = {
  drain: "sidecar.member.left",
  remove: "sidecar.member.failed",
  forget: "sidecar.member.reaped",
};

/** Wires serf, the registry and the reconciler together; see the module documentation. */
export class SidecarService {
  readonly #o: SidecarServiceOptions;
  readonly #drains: DrainWatch;
  readonly #timers = new Set<TimerId>();
  /** Announces from a sender not known yet, and when they first arrived. */
  readonly #announceSeenMs = new Map<QueryEvent, number>();
  #unsubscribe: (() => void) | undefined;
  #applyEnabled = false;
  #stopped = false;
  #solicitTimer: TimerId | undefined;
  #soliciting = false;
  #orphanTimer: TimerId | undefined;
  /** Converged: a solicit round completed while at least one other member was alive. */
  #converged = false;
  #startedMs: number;
  #convergeTimer: TimerId | undefined;
  /** Gossip addresses being joined to learn an announcer. */
  readonly #learning = new Set<string>();

  constructor(options: SidecarServiceOptions) {
    this.#o = options;
    this.#startedMs = options.clock.nowMs();
    this.#drains = new DrainWatch({
      registry: options.registry,
      reconciler: options.reconciler,
      backends: options.backends,
      apply: () => this.#apply(),
      clock: options.clock,
      log: options.log,
      ...(options.drainPollMs === undefined ? {} : { pollMs: options.drainPollMs }),
      ...(options.meter === undefined ? {} : { meter: options.meter }),
    });
  }

  /**
   * Starts answering queries and following member events. Until {@linkcode adoptAndApply}, the
   * registry fills but nothing is sent to HAProxy (so servers found at start are never deleted).
   */
  start(): void {
    this.#unsubscribe = this.#o.serf.subscribe((e) => this.#onEvent(e));
    this.#o.meter?.members(this.#o.serf.members());
  }

  /**
   * Adopts the managed servers the reconciler found at its first pass (kept for the orphan grace
   * unless a task claims them), then applies the desired servers of every backend.
   */
  adoptAndApply(): void {
    const { registry, reconciler, backends, clock, log } = this.#o;
    const nowMs = clock.nowMs();
    for (const backend of backends) {
      const found = adoptedServers(reconciler.foundAtStart(backend), this.#o.check);
      registry.adopt(backend, found, nowMs);
      for (const s of found) {
        log.info("sidecar.server.adopted", {
          backend,
          server: s.name,
          addr: `${s.addr}:${s.port}`,
          state: s.state,
        });
      }
    }
    this.#applyEnabled = true;
    this.#apply();
    this.#scheduleOrphans();
    this.#drains.enable();
  }

  /** Solicits now and then every `solicitIntervalMs`. */
  startSoliciting(): void {
    void this.solicit("start");
    const tick = () => {
      this.#solicitTimer = this.#o.clock.setTimer(this.#o.solicitIntervalMs, () => {
        if (!this.#soliciting) void this.solicit("interval"); // never two rounds at once
        tick();
      });
    };
    tick();
  }

  /** Asks every task to re-announce; resolves to the number of answers. */
  async solicit(reason: string): Promise<number> {
    if (this.#stopped) return 0;
    const { serf, clock, log } = this.#o;
    const startedMs = clock.nowMs();
    let answers = 0;
    const peersBefore = this.#alivePeers();
    // No alive task: nobody to ask.
    if (!serf.members().some((m) => m.status === MemberStatus.Alive && isTask(m))) {
      log.debug("sidecar.solicit", { reason, answers, tasks: 0 });
      if (peersBefore > 0) this.#markConverged(reason);
      return 0;
    }
    this.#soliciting = true;
    try {
      const result = await serf.query(QUERY.solicit, new Uint8Array(0), {
        filterTags: SOLICIT_FILTER,
        onResponse: (r) => {
          answers++;
          if (!this.#stopped) this.#register(r.from, r.payload, "solicit");
        },
      }).done();
      const ms = clock.nowMs() - startedMs;
      log.info("sidecar.solicit", { reason, answers, ended_early: result.endedEarly, ms });
      this.#o.meter?.solicitRound(ms / 1000);
      if (peersBefore > 0) this.#markConverged(reason);
    } catch (err) {
      if (!(err instanceof SerfError)) throw err;
      log.warn("sidecar.solicit.failed", { reason, error: err.message });
    } finally {
      this.#soliciting = false;
    }
    return answers;
  }

  /** HAProxy was told to reload: look again a few times while its new worker comes up. */
  afterReload(): void {
    for (const delayMs of RELOAD_PASS_DELAYS_MS) {
      const id = this.#o.clock.setTimer(delayMs, () => {
        this.#timers.delete(id);
        this.#o.reconciler.trigger();
      });
      this.#timers.add(id);
    }
  }

  /** Stops answering and cancels timers; departs in progress are answered `drained: false`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    const clock = this.#o.clock;
    for (
      const id of [this.#solicitTimer, this.#orphanTimer, this.#convergeTimer, ...this.#timers]
    ) {
      if (id !== undefined) clock.clearTimer(id);
    }
    this.#timers.clear();
    await this.#drains.stop();
  }

  #onEvent(e: SerfEvent): void {
    if (this.#stopped) return;
    if (e.type === "query") {
      if (e.name === QUERY.announce) this.#onAnnounce(e);
      else if (e.name === QUERY.depart) this.#onDepart(e);
      return;
    }
    if (e.type === "user") return;
    if (e.type === "member-join" && !this.#converged) this.#solicitToConverge();
    this.#o.meter?.members(this.#o.serf.members());
    const changes = applyMemberEvent(this.#o.registry, e, this.#o.clock.nowMs());
    for (const c of changes) {
      this.#o.log.info(MEMBER_EVENT_NAMES[c.action], { node: c.node, servers: c.keys.join(",") });
    }
    if (changes.length > 0) this.#changed();
  }

  #onAnnounce(e: QueryEvent): void {
    // A query can outrun the gossip that introduces its sender (queries to a few sidecars are
    // also sent directly), and a restarted sidecar may not know its tasks yet: learn the sender
    // (join the address it queries from), and give it a moment to become known before judging.
    const { serf, clock } = this.#o;
    const member = serf.members().find((m) => m.name === e.sourceNode);
    const known = member?.status === MemberStatus.Alive;
    const firstSeen = !this.#announceSeenMs.has(e);
    if (firstSeen) this.#announceSeenMs.set(e, clock.nowMs());
    const waitedMs = clock.nowMs() - this.#announceSeenMs.get(e)!;
    const leftMs = e.deadlineMs - clock.nowMs() - UNKNOWN_SENDER_MARGIN_MS;
    if (!known && firstSeen) this.#learn(e);
    if (!known && !this.#stopped && waitedMs < UNKNOWN_SENDER_WAIT_MS && leftMs > 0) {
      const id = clock.setTimer(Math.min(UNKNOWN_SENDER_POLL_MS, leftMs), () => {
        this.#timers.delete(id);
        if (!this.#stopped) this.#onAnnounce(e);
      });
      this.#timers.add(id);
      return;
    }
    this.#announceSeenMs.delete(e);
    const mismatch = sourceMismatch(member, e);
    const out = mismatch === null
      ? this.#register(e.sourceNode, e.payload, "announce")
      : this.#refuseSource(e, "announce", mismatch);
    try {
      e.respond(out.response);
    } catch (err) {
      if (!(err instanceof SerfError)) throw err;
      this.#o.log.warn("sidecar.announce.respond_failed", {
        node: e.sourceNode,
        error: err.message,
      });
    }
  }

  /** A depart is acted on only when it comes from the gossip address of the member it names. */
  #onDepart(e: QueryEvent): void {
    const member = this.#o.serf.members().find((m) => m.name === e.sourceNode);
    const mismatch = member === undefined
      ? `${e.sourceNode} is not a known cluster member`
      : sourceMismatch(member, e);
    if (mismatch === null) return this.#drains.onDepart(e);
    this.#refuseSource(e, "depart", mismatch);
    try {
      e.respond(encodeDepartAnswer({ accepted: false, reason: cut(mismatch, REASON_LENGTH_MAX) }));
    } catch (err) {
      if (!(err instanceof SerfError)) throw err;
    }
  }

  /** Logs and counts a query refused for its source; returns the announce refusal to send. */
  #refuseSource(e: QueryEvent, via: string, reason: string): AnnounceOutcome {
    const addr = joinHostPort(e.sourceAddr.host, e.sourceAddr.port);
    this.#o.log.warn("sidecar.query.source_refused", { via, node: e.sourceNode, addr, reason });
    this.#o.meter?.query(via === "depart" ? "depart" : "announce", "rejected", 0);
    const verdict = { accepted: false as const, reason };
    return { verdict, request: undefined, host: undefined, response: encodeVerdict(verdict) };
  }

  /** Joins the address an unknown announcer queried from (bounded; one join per address). */
  #learn(e: QueryEvent): void {
    const join = this.#o.join;
    const { host, port } = e.sourceAddr;
    if (join === undefined || host === "" || port < 1) return;
    const addr = joinHostPort(host, port);
    if (this.#learning.has(addr) || this.#learning.size >= LEARN_JOINS_MAX) return;
    this.#learning.add(addr);
    this.#o.log.info("sidecar.announce.learning", { node: e.sourceNode, addr });
    join(addr).catch(() => 0).finally(() => this.#learning.delete(addr));
  }

  #alivePeers(): number {
    const self = this.#o.serf.localName;
    return this.#o.serf.members().filter((m) => m.name !== self && m.status === MemberStatus.Alive)
      .length;
  }

  /** While converging, members joining are followed by one solicit (coalesced). */
  #solicitToConverge(): void {
    if (this.#convergeTimer !== undefined || !this.#applyEnabled) return;
    this.#convergeTimer = this.#o.clock.setTimer(CONVERGE_SOLICIT_DELAY_MS, () => {
      this.#convergeTimer = undefined;
      if (this.#stopped || this.#converged) return;
      if (this.#soliciting) return this.#solicitToConverge();
      void this.solicit("converging");
    });
  }

  #markConverged(reason: string): void {
    if (this.#converged) return;
    this.#converged = true;
    this.#o.log.info("sidecar.converged", {
      reason,
      members: this.#alivePeers(),
      ms: Math.round(this.#o.clock.nowMs() - this.#startedMs),
    });
    if (this.#orphanTimer !== undefined) this.#o.clock.clearTimer(this.#orphanTimer);
    this.#orphanTimer = undefined;
    this.#scheduleOrphans();
  }

  #register(node: string, payload: Uint8Array, via: string): AnnounceOutcome {
    const { serf, registry, clock, log } = this.#o;
    const member = memberView(serf.members().find((m) => m.name === node));
    const startedMs = clock.nowMs();
    const out = handleAnnounce(registry, member, payload, startedMs);
    const req = out.request;
    const fields = {
      via,
      node,
      addr: out.host !== undefined && req ? `${out.host}:${req.port}` : out.host ?? "",
      state: req?.state ?? "",
      accepted: out.verdict.accepted,
      ...(out.verdict.accepted
        ? { backend: out.verdict.backend, server: out.verdict.server }
        : { backend: req?.backend ?? "", reason: out.verdict.reason }),
    };
    if (req === undefined) log.debug("sidecar.announce", fields);
    else log.info("sidecar.announce", fields);
    const result = req === undefined ? "error" : out.verdict.accepted ? "accepted" : "rejected";
    const seconds = (clock.nowMs() - startedMs) / 1000;
    this.#o.meter?.query(via === "solicit" ? "solicit" : "announce", result, seconds);
    if (out.verdict.accepted) this.#changed();
    return out;
  }

  #changed(): void {
    this.#apply();
    this.#drains.poke();
  }

  #apply(): void {
    if (!this.#applyEnabled || this.#stopped) return;
    for (const [backend, servers] of this.#o.registry.desired()) {
      try {
        this.#o.reconciler.setDesired(backend, servers);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        this.#o.log.error("sidecar.apply.refused", { backend, error: err.message });
      }
    }
  }

  #scheduleOrphans(): void {
    const { registry, clock, log } = this.#o;
    const deadlineMs = registry.nextOrphanDeadlineMs();
    if (deadlineMs === undefined || this.#stopped) return;
    // Not converged: the tasks may simply not have reached us yet. Hold removal until they have
    // (convergence reschedules), at most CONVERGE_MAX_MS after the start.
    const nextMs = this.#converged
      ? deadlineMs
      : Math.max(deadlineMs, this.#startedMs + CONVERGE_MAX_MS);
    this.#orphanTimer = clock.setTimer(Math.max(0, nextMs - clock.nowMs()), () => {
      this.#orphanTimer = undefined;
      if (!this.#converged) log.warn("sidecar.orphan.unconverged", { waitedMs: CONVERGE_MAX_MS });
      const expired = registry.expireOrphans(clock.nowMs());
      for (const key of expired) log.info("sidecar.orphan.removed", { server: key });
      if (expired.length > 0) this.#apply();
      this.#scheduleOrphans();
    });
  }
}
