/**
 * The sidecar's event shell: turns serf events (announce and depart queries, member events) and
 * solicit answers into registry changes, and pushes the registry's desired servers to the HAProxy
 * reconciler after every change. Queries pass {@linkcode QueryIntake} first (source check,
 * unknown senders). Timers: the periodic solicit and the orphan grace deadline, which waits until
 * the sidecar has converged (a solicit round completed while another member was alive) so a
 * restarted sidecar never removes servers of tasks that simply have not reached it yet.
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
import type { SerfEvent } from "../../serf/events.ts";
import { type Member, MemberStatus } from "../../serf/members.ts";
import type { Serf } from "../../serf/serf.ts";
import { adoptedServers } from "./adopt.ts";
import { type AnnounceOutcome, handleAnnounce, memberView } from "./announce.ts";
import { joinHostPort } from "../../serf/addr.ts";
import { QueryIntake } from "./intake.ts";
import { MemberVerifier, VERIFY_PING_ATTEMPTS, VERIFY_PING_TIMEOUT_MS } from "./verify.ts";
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
  /**
   * Pings member `name` at its gossip address (true on its ack): a member's first announce or
   * solicit answer is registered only after it acks (see {@linkcode MemberVerifier}).
   */
  readonly ping?: (name: string, timeoutMs: number) => Promise<boolean>;
}

/** Tag filter of `solicit`: only tasks answer. */
const SOLICIT_FILTER: ReadonlyMap<string, string> = new Map([["role", "^task$"]]);
/** True for members that answer `solicit` (the same test as {@linkcode SOLICIT_FILTER}). */
function isTask(m: Member): boolean {
  return m.tags.get("role") === "task";
}
/** Delays of the extra passes after HAProxy is told to reload: the new worker starts empty. */
const RELOAD_PASS_DELAYS_MS = [100, 300, 700, 1500, 3000];
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
  readonly #intake: QueryIntake;
  readonly #verifier: MemberVerifier | undefined;
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

  constructor(options: SidecarServiceOptions) {
    this.#o = options;
    this.#startedMs = options.clock.nowMs();
    const ping = options.ping;
    if (ping !== undefined) {
      this.#verifier = new MemberVerifier({ ping, clock: options.clock, log: options.log });
    }
    this.#intake = new QueryIntake({
      serf: options.serf,
      clock: options.clock,
      log: options.log,
      register: (node, payload) => this.#register(node, payload, "announce"),
      depart: (e) => this.#drains.onDepart(e),
      ...(options.meter === undefined ? {} : { meter: options.meter }),
      ...(options.join === undefined ? {} : { join: options.join }),
      ...(this.#verifier === undefined ? {} : { verifier: this.#verifier }),
    });
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
    // A task we believe failed may be alive (its refutation lost to a one-way cut) and answer
    // through a relay after the tasks we believe alive did: then the round runs its full time.
    const failedTask = serf.members().some((m) => m.status === MemberStatus.Failed && isTask(m));
    try {
      const result = await serf.query(QUERY.solicit, new Uint8Array(0), {
        filterTags: SOLICIT_FILTER,
        ...(failedTask ? { endEarly: false } : {}),
        onResponse: (r) => {
          answers++;
          if (!this.#stopped) this.#onSolicitAnswer(r.from, r.payload, startedMs);
        },
      }).done();
      const ms = clock.nowMs() - startedMs;
      // The periodic round is routine; the ones at start and after a join are worth a line.
      log[reason === "interval" ? "debug" : "info"]("sidecar.solicit", {
        reason,
        answers,
        ended_early: result.endedEarly,
        duration_ms: ms,
      });
      this.#o.meter?.solicitRound(ms / 1000);
      if (peersBefore > 0) this.#markConverged(reason);
    } catch (err) {
      if (!(err instanceof SerfError)) throw err;
      log.warn("sidecar.solicit.failed", { reason, error: err.message });
      this.#o.meter?.solicitRound((clock.nowMs() - startedMs) / 1000, "error");
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
    this.#intake.stop();
    await this.#drains.stop();
  }

  #onEvent(e: SerfEvent): void {
    if (this.#stopped) return;
    if (e.type === "query") {
      if (e.name === QUERY.announce) this.#intake.announce(e);
      else if (e.name === QUERY.depart) this.#intake.depart(e);
      return;
    }
    if (e.type === "user") return;
    if (e.type === "member-join") {
      for (const m of e.members) this.#intake.memberJoined(m.name);
      if (!this.#converged) this.#solicitToConverge();
    }
    if (e.type === "member-update") {
      for (const m of e.members) {
        this.#intake.memberUpdated(m.name);
      }
    }
    this.#o.meter?.members(this.#o.serf.members());
    const changes = applyMemberEvent(this.#o.registry, e, this.#o.clock.nowMs());
    for (const c of changes) {
      this.#o.log.info(MEMBER_EVENT_NAMES[c.action], { node: c.node, servers: c.keys.join(",") });
    }
    if (changes.length > 0) this.#changed();
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

  /**
   * A solicit answer. One from a member we believe failed proves it alive (its refutation was
   * lost, say to a one-way cut, and our failure verdict outlived the cut): join it, which brings
   * its newer state here, and then register the answer. An answer from a node whose depart
   * arrived after the round began may predate the depart (sim seed 22 --mistakes: a `ready`
   * answer sent just before SIGTERM re-enabled the draining server): the depart rules.
   */
  #onSolicitAnswer(node: string, payload: Uint8Array, roundMs: number): void {
    if (this.#intake.departedSince(node, roundMs)) {
      this.#o.log.info("sidecar.solicit.superseded", { node, reason: "departed since the round" });
      this.#o.meter?.query("solicit", "rejected", 0);
      return;
    }
    const m = this.#o.serf.members().find((x) => x.name === node);
    const join = this.#o.join;
    const verifier = this.#verifier;
    if (m !== undefined && verifier !== undefined && !verifier.isVerified(m)) {
      // the answer names its sender; only the node at that member's address may vouch for it
      const deadlineMs = this.#o.clock.nowMs() + VERIFY_PING_TIMEOUT_MS * VERIFY_PING_ATTEMPTS;
      void verifier.verify(m, deadlineMs).then((acked) => {
        if (this.#stopped) return;
        if (acked) return this.#onSolicitAnswer(node, payload, roundMs);
        this.#o.log.warn("sidecar.query.source_refused", {
          via: "solicit",
          node,
          addr: joinHostPort(m.host, m.port),
          reason: `${node} did not answer a ping at ${joinHostPort(m.host, m.port)}`,
        });
        this.#o.meter?.query("announce", "rejected", 0);
      });
      return;
    }
    if (m?.status !== MemberStatus.Failed || join === undefined) {
      return void this.#register(node, payload, "solicit");
    }
    this.#o.log.info("sidecar.solicit.failed_member_answered", { node, addr: m.host });
    void join(joinHostPort(m.host, m.port)).catch(() => 0).then(() => {
      if (this.#stopped || this.#intake.departedSince(node, roundMs)) return;
      this.#register(node, payload, "solicit");
    });
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
