/**
 * The sidecar's event shell: turns serf events (announce and depart queries, member events) and
 * solicit answers ({@linkcode SolicitRounds}) into registry changes, and pushes the registry's desired servers to the HAProxy
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
import type { SerfEvent } from "../../serf/events.ts";

import type { Serf } from "../../serf/serf.ts";
import { adoptedServers } from "./adopt.ts";
import { type AnnounceOutcome, memberView, registerAnnounce } from "./announce.ts";
import { QueryIntake } from "./intake.ts";
import { MemberVerifier } from "./verify.ts";
import { alivePeers, SolicitRounds } from "./solicit.ts";
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
  #unsubscribe: (() => void) | undefined;
  #applyEnabled = false;
  #stopped = false;
  readonly #solicits: SolicitRounds;
  #solicitTimer: TimerId | undefined;
  #orphanTimer: TimerId | undefined;
  /** Converged: a solicit round completed while at least one other member was alive. */
  #converged = false;
  #startedMs: number;
  #convergeTimer: TimerId | undefined;

  constructor(options: SidecarServiceOptions) {
    this.#o = options;
    this.#startedMs = options.clock.nowMs();
    const ping = options.ping;
    const verifier = ping === undefined
      ? undefined
      : new MemberVerifier({ ping, clock: options.clock, log: options.log });
    this.#intake = new QueryIntake({
      serf: options.serf,
      clock: options.clock,
      log: options.log,
      register: (node, payload) => this.#register(node, payload, "announce"),
      depart: (e) => this.#drains.onDepart(e),
      ...(options.meter === undefined ? {} : { meter: options.meter }),
      ...(options.join === undefined ? {} : { join: options.join }),
      ...(verifier === undefined ? {} : { verifier }),
    });
    this.#solicits = new SolicitRounds({
      serf: options.serf,
      clock: options.clock,
      log: options.log,
      meter: options.meter,
      verifier,
      join: options.join,
      departedSince: (node, sinceMs) => this.#intake.departedSince(node, sinceMs),
      register: (node, payload) => void this.#register(node, payload, "solicit"),
      converged: (reason) => this.#markConverged(reason),
      stopped: () => this.#stopped,
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
        if (!this.#solicits.running) void this.solicit("interval"); // never two rounds at once
        tick();
      });
    };
    tick();
  }

  /** Asks every task to re-announce; resolves to the number of answers. */
  solicit(reason: string): Promise<number> {
    return this.#stopped ? Promise.resolve(0) : this.#solicits.run(reason);
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
    this.#solicits.stop();
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
      for (const m of e.members) this.#solicits.memberJoined(m.name);
      if (!this.#converged) this.#solicitToConverge();
    }
    if (e.type === "member-update") e.members.forEach((m) => this.#intake.memberUpdated(m.name));
    this.#o.meter?.members(this.#o.serf.members());
    const changes = applyMemberEvent(this.#o.registry, e, this.#o.clock.nowMs());
    for (const c of changes) {
      this.#o.log.info(MEMBER_EVENT_NAMES[c.action], { node: c.node, servers: c.keys.join(",") });
    }
    if (changes.length > 0) this.#changed();
  }

  /** While converging, members joining are followed by one solicit (coalesced). */
  #solicitToConverge(): void {
    if (this.#convergeTimer !== undefined || !this.#applyEnabled) return;
    this.#convergeTimer = this.#o.clock.setTimer(CONVERGE_SOLICIT_DELAY_MS, () => {
      this.#convergeTimer = undefined;
      if (this.#stopped || this.#converged) return;
      if (this.#solicits.running) return this.#solicitToConverge();
      void this.solicit("converging");
    });
  }

  #markConverged(reason: string): void {
    if (this.#converged) return;
    this.#converged = true;
    this.#o.log.info("sidecar.converged", {
      reason,
      members: alivePeers(this.#o.serf),
      ms: Math.round(this.#o.clock.nowMs() - this.#startedMs),
    });
    if (this.#orphanTimer !== undefined) this.#o.clock.clearTimer(this.#orphanTimer);
    this.#orphanTimer = undefined;
    this.#scheduleOrphans();
  }

  #register(node: string, payload: Uint8Array, via: "announce" | "solicit"): AnnounceOutcome {
    const { serf, registry, clock, log, meter } = this.#o;
    const member = memberView(serf.table.get(node));
    const out = registerAnnounce({ registry, clock, log, meter }, member, node, payload, via);
    if (!out.verdict.accepted) return out;
    // An unchanged re-announce (most solicit answers) only asks for a pass: re-applying would
    // revalidate every server per answer, O(servers²) per solicit round.
    if (out.verdict.changed !== false) this.#apply();
    else if (this.#applyEnabled && !this.#stopped) this.#o.reconciler.trigger();
    this.#drains.poke();
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
