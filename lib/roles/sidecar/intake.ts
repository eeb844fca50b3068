/**
 * The sidecar's intake of `announce` and `depart` queries, before the registry sees them:
 *
 * - the source check (issue 13): a query is acted on only when its Addr/Port is the gossip
 *   address of the member holding its `SourceNode`;
 * - unknown senders (issue 19): a query can outrun the gossip that introduces its sender, and a
 *   restarted sidecar may not know its tasks yet, so the sidecar joins the address the query came
 *   from and waits a moment for the sender to become a known, alive member before judging it;
 * - departs supersede older announces (issue 15): an announce the task sent before its depart
 *   (a lower serf query LTime) may be acted on after it — it waited for its sender, or gossip
 *   delivered it late — and must not put the departing task's server back. Each accepted depart's
 *   LTime is remembered per node for {@linkcode DEPART_MEMORY_MS} (bounded in count too), or until
 *   the node joins again.
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
import type { MemberVerifier } from "./verify.ts";

/** Longest wait for the sender of a query to become a known (for an announce, alive) member. */
const UNKNOWN_SENDER_WAIT_MS = 2000;
/** How often a waiting query looks again. */
const UNKNOWN_SENDER_POLL_MS = 50;
/** The answer must still reach the task before its query's deadline. */
const UNKNOWN_SENDER_MARGIN_MS = 500;
/**
 * How long a depart is remembered to refuse older announces of its node: longer than any query's
 * time in flight (at most a minute, serf's largest query timeout).
 */
export const DEPART_MEMORY_MS = 60_000;
/** Most departed nodes remembered (departs come from the network, so the memory is bounded). */
export const DEPARTS_REMEMBERED_MAX = 4096;
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
  /**
   * Proves a member's first announce comes from the node at its gossip address (see
   * {@linkcode MemberVerifier}); without it announces are checked against gossip alone.
   */
  readonly verifier?: MemberVerifier;
  /** Registers a checked announce; returns the outcome to answer with. */
  register(node: string, payload: Uint8Array): AnnounceOutcome;
  /** Handles a checked depart (answers it itself). */
  depart(e: QueryEvent): void;
}

/** See the module documentation. */
export class QueryIntake {
  readonly #o: QueryIntakeOptions;
  readonly #timers = new Set<TimerId>();
  /** Queries from a sender not known yet, and when they first arrived. */
  readonly #seenMs = new Map<QueryEvent, number>();
  /** Gossip addresses being joined to learn an announcer. */
  readonly #learning = new Set<string>();
  /** Node → the query LTime of its latest accepted depart, and when it arrived (oldest first). */
  readonly #departed = new Map<string, { lTime: number; atMs: number }>();
  #stopped = false;

  constructor(options: QueryIntakeOptions) {
    this.#o = options;
  }

  /**
   * A member joined (new, or back after it failed or left): a remembered depart of that name
   * belonged to an earlier incarnation (a task restarted under the same name, whose query clock
   * may not have caught up yet) and no longer supersedes its announces.
   */
  memberJoined(node: string): void {
    this.#departed.delete(node);
    this.#o.verifier?.forget(node);
  }

  /** Drops the queries still waiting (they are not answered). */
  stop(): void {
    this.#stopped = true;
    for (const id of this.#timers) this.#o.clock.clearTimer(id);
    this.#timers.clear();
    this.#seenMs.clear();
  }

  /** An `announce` query: wait for (and learn) an unknown sender, check its source, register. */
  announce(e: QueryEvent): void {
    const member = this.#o.serf.members().find((m) => m.name === e.sourceNode);
    if (this.#waitForSender(e, member?.status === MemberStatus.Alive, () => this.announce(e))) {
      return;
    }
    const mismatch = sourceMismatch(member, e);
    const superseded = mismatch === null ? this.#supersededBy(e) : undefined;
    const verifier = this.#o.verifier;
    if (
      mismatch === null && superseded === undefined && member !== undefined &&
      verifier !== undefined && !verifier.isVerified(member)
    ) {
      const deadlineMs = e.deadlineMs - UNKNOWN_SENDER_MARGIN_MS;
      void verifier.verify(member, deadlineMs).then((acked) => {
        if (this.#stopped) return;
        // the task's depart may have arrived during the ping: it still supersedes the announce
        const departed = acked ? this.#supersededBy(e) : undefined;
        this.#respond(
          e,
          !acked
            ? this.#refuseUnverified(e, member)
            : departed !== undefined
            ? this.#refuseSuperseded(e, departed)
            : this.#o.register(e.sourceNode, e.payload),
        );
      });
      return;
    }
    this.#respond(
      e,
      mismatch !== null
        ? this.#refuseSource(e, "announce", mismatch)
        : superseded !== undefined
        ? this.#refuseSuperseded(e, superseded)
        : this.#o.register(e.sourceNode, e.payload),
    );
  }

  #respond(e: QueryEvent, out: AnnounceOutcome): void {
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

  /**
   * A depart is acted on only when it comes from the gossip address of the member it names; an
   * unknown sender is waited for (and learnt) as for an announce: refusing it would let the
   * announce it follows, still waiting for the same sender, be accepted after it.
   */
  depart(e: QueryEvent): void {
    const member = this.#o.serf.members().find((m) => m.name === e.sourceNode);
    if (this.#waitForSender(e, member !== undefined, () => this.depart(e))) return;
    const mismatch = member === undefined
      ? `${e.sourceNode} is not a known cluster member`
      : sourceMismatch(member, e);
    if (mismatch === null) {
      this.#rememberDepart(e);
      return this.#o.depart(e);
    }
    this.#refuseSource(e, "depart", mismatch);
    try {
      e.respond(encodeDepartAnswer({ accepted: false, reason: cut(mismatch, REASON_LENGTH_MAX) }));
    } catch (err) {
      if (!(err instanceof SerfError)) throw err;
    }
  }

  /**
   * A query can outrun the gossip that introduces its sender (queries to a few sidecars are also
   * sent directly), and a restarted sidecar may not know its tasks yet: learn the sender (join the
   * address it queries from), and give it a moment to become known before judging. True when
   * `retry` is scheduled (the query is not judged yet).
   */
  #waitForSender(e: QueryEvent, known: boolean, retry: () => void): boolean {
    const clock = this.#o.clock;
    const firstSeen = !this.#seenMs.has(e);
    if (firstSeen) this.#seenMs.set(e, clock.nowMs());
    const waitedMs = clock.nowMs() - this.#seenMs.get(e)!;
    const leftMs = e.deadlineMs - clock.nowMs() - UNKNOWN_SENDER_MARGIN_MS;
    if (!known && firstSeen) this.#learn(e);
    if (!known && !this.#stopped && waitedMs < UNKNOWN_SENDER_WAIT_MS && leftMs > 0) {
      const id = clock.setTimer(Math.min(UNKNOWN_SENDER_POLL_MS, leftMs), () => {
        this.#timers.delete(id);
        if (!this.#stopped) retry();
      });
      this.#timers.add(id);
      return true;
    }
    this.#seenMs.delete(e);
    return false;
  }

  /** Remembers the depart's LTime for its node (the latest one wins), bounded in time and count. */
  #rememberDepart(e: QueryEvent): void {
    const nowMs = this.#o.clock.nowMs();
    for (const [node, d] of this.#departed) {
      if (nowMs - d.atMs <= DEPART_MEMORY_MS && this.#departed.size < DEPARTS_REMEMBERED_MAX) break;
      this.#departed.delete(node);
    }
    const lTime = Math.max(e.lTime, this.#departed.get(e.sourceNode)?.lTime ?? 0);
    this.#departed.delete(e.sourceNode);
    this.#departed.set(e.sourceNode, { lTime, atMs: nowMs });
  }

  /** The LTime of a remembered depart the announce was sent before, if any. */
  #supersededBy(e: QueryEvent): number | undefined {
    const d = this.#departed.get(e.sourceNode);
    if (d === undefined || this.#o.clock.nowMs() - d.atMs > DEPART_MEMORY_MS) return undefined;
    return e.lTime < d.lTime ? d.lTime : undefined;
  }

  #refuseSuperseded(e: QueryEvent, departLTime: number): AnnounceOutcome {
    const reason = `superseded by the depart sent after it (LTime ${e.lTime} < ${departLTime})`;
    this.#o.log.info("sidecar.announce.superseded", { node: e.sourceNode, reason });
    this.#o.meter?.query("announce", "rejected", 0);
    const verdict = { accepted: false as const, reason };
    return { verdict, request: undefined, host: undefined, response: encodeVerdict(verdict) };
  }

  /** The member's gossip address acked none of the verification pings. */
  #refuseUnverified(e: QueryEvent, member: Member): AnnounceOutcome {
    const addr = joinHostPort(member.host, member.port);
    return this.#refuseSource(e, "announce", `${e.sourceNode} did not answer a ping at ${addr}`);
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
