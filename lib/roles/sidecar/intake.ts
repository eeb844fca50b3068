/**
 * The sidecar's intake of `announce` and `depart` queries, before the registry sees them:
 *
 * - the source check (issue 13): a query is acted on only when its Addr/Port is the gossip
 *   address of the member holding its `SourceNode`;
 * - unknown senders (issue 19): a query can outrun the gossip that introduces its sender, and a
 *   restarted sidecar may not know its tasks yet, so the sidecar joins the address the query came
 *   from and waits a moment for the sender to become a known, alive member before judging it.
 *
 * @module
 */

import type { Clock, TimerId } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import { joinHostPort } from "../../serf/addr.ts";
import { SerfError } from "../../serf/errors.ts";
import type { QueryEvent } from "../../serf/events.ts";
import { type Member, MemberStatus } from "../../serf/members.ts";
import {
  type AnnounceOutcome,
  cut,
  encodeVerdict,
  REASON_LENGTH_MAX,
  sourceMismatch,
} from "./announce.ts";
import { encodeDepartAnswer } from "./depart.ts";
import type { SidecarMeter } from "./metrics.ts";

/** Longest wait for the sender of an announce to become a known, alive member. */
const UNKNOWN_SENDER_WAIT_MS = 2000;
/** How often a waiting announce looks again. */
const UNKNOWN_SENDER_POLL_MS = 50;
/** The answer must still reach the task before its query's deadline. */
const UNKNOWN_SENDER_MARGIN_MS = 500;
/** Most joins of unknown announcers at once (each is one push/pull; announces come from anyone). */
const LEARN_JOINS_MAX = 4;

/** What a {@linkcode QueryIntake} works with. */
export interface QueryIntakeOptions {
  readonly serf: { members(): Member[] };
  readonly clock: Clock;
  readonly log: Logger;
  readonly meter?: SidecarMeter;
  /** Joins a gossip address (`host:port`); without it unknown senders are only waited for. */
  readonly join?: (addr: string) => Promise<number>;
  /** Registers a checked announce; returns the outcome to answer with. */
  register(node: string, payload: Uint8Array): AnnounceOutcome;
  /** Handles a checked depart (answers it itself). */
  depart(e: QueryEvent): void;
}

/** See the module documentation. */
export class QueryIntake {
  readonly #o: QueryIntakeOptions;
  readonly #timers = new Set<TimerId>();
  /** Announces from a sender not known yet, and when they first arrived. */
  readonly #announceSeenMs = new Map<QueryEvent, number>();
  /** Gossip addresses being joined to learn an announcer. */
  readonly #learning = new Set<string>();
  #stopped = false;

  constructor(options: QueryIntakeOptions) {
    this.#o = options;
  }

  /** Drops the announces still waiting (they are not answered). */
  stop(): void {
    this.#stopped = true;
    for (const id of this.#timers) this.#o.clock.clearTimer(id);
    this.#timers.clear();
    this.#announceSeenMs.clear();
  }

  /** An `announce` query: wait for (and learn) an unknown sender, check its source, register. */
  announce(e: QueryEvent): void {
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
        if (!this.#stopped) this.announce(e);
      });
      this.#timers.add(id);
      return;
    }
    this.#announceSeenMs.delete(e);
    const mismatch = sourceMismatch(member, e);
    const out = mismatch === null
      ? this.#o.register(e.sourceNode, e.payload)
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
  depart(e: QueryEvent): void {
    const member = this.#o.serf.members().find((m) => m.name === e.sourceNode);
    const mismatch = member === undefined
      ? `${e.sourceNode} is not a known cluster member`
      : sourceMismatch(member, e);
    if (mismatch === null) return this.#o.depart(e);
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
}
