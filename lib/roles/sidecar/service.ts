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
import { type AnnounceOutcome, handleAnnounce, memberView } from "./announce.ts";
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

  constructor(options: SidecarServiceOptions) {
    this.#o = options;
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
    // No alive task: nobody to ask.
    if (!serf.members().some((m) => m.status === MemberStatus.Alive && isTask(m))) {
      log.debug("sidecar.solicit", { reason, answers, tasks: 0 });
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
      // The periodic round is routine; the ones at start and after a join are worth a line.
      log[reason === "interval" ? "debug" : "info"]("sidecar.solicit", {
        reason,
        answers,
        ended_early: result.endedEarly,
        duration_ms: ms,
      });
      this.#o.meter?.solicitRound(ms / 1000);
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
    for (const id of [this.#solicitTimer, this.#orphanTimer, ...this.#timers]) {
      if (id !== undefined) clock.clearTimer(id);
    }
    this.#timers.clear();
    await this.#drains.stop();
  }

  #onEvent(e: SerfEvent): void {
    if (this.#stopped) return;
    if (e.type === "query") {
      if (e.name === QUERY.announce) this.#onAnnounce(e);
      else if (e.name === QUERY.depart) this.#drains.onDepart(e);
      return;
    }
    if (e.type === "user") return;
    this.#o.meter?.members(this.#o.serf.members());
    const changes = applyMemberEvent(this.#o.registry, e, this.#o.clock.nowMs());
    for (const c of changes) {
      this.#o.log.info(MEMBER_EVENT_NAMES[c.action], { node: c.node, servers: c.keys.join(",") });
    }
    if (changes.length > 0) this.#changed();
  }

  #onAnnounce(e: QueryEvent): void {
    // A query can outrun the gossip that introduces its sender (queries to a few sidecars are
    // also sent directly): give the member a moment to become known before judging it.
    const known = this.#o.serf.members().some((m) =>
      m.name === e.sourceNode && m.status === MemberStatus.Alive
    );
    const waitedMs = this.#o.clock.nowMs() - (this.#announceSeenMs.get(e) ?? this.#o.clock.nowMs());
    if (!this.#announceSeenMs.has(e)) this.#announceSeenMs.set(e, this.#o.clock.nowMs());
    const leftMs = e.deadlineMs - this.#o.clock.nowMs() - UNKNOWN_SENDER_MARGIN_MS;
    if (!known && !this.#stopped && waitedMs < UNKNOWN_SENDER_WAIT_MS && leftMs > 0) {
      const id = this.#o.clock.setTimer(Math.min(UNKNOWN_SENDER_POLL_MS, leftMs), () => {
        this.#timers.delete(id);
        if (!this.#stopped) this.#onAnnounce(e);
      });
      this.#timers.add(id);
      return;
    }
    this.#announceSeenMs.delete(e);
    const out = this.#register(e.sourceNode, e.payload, "announce");
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
    const nextMs = registry.nextOrphanDeadlineMs();
    if (nextMs === undefined || this.#stopped) return;
    this.#orphanTimer = clock.setTimer(Math.max(0, nextMs - clock.nowMs()), () => {
      this.#orphanTimer = undefined;
      const expired = registry.expireOrphans(clock.nowMs());
      for (const key of expired) log.info("sidecar.orphan.removed", { server: key });
      if (expired.length > 0) this.#apply();
      this.#scheduleOrphans();
    });
  }
}
