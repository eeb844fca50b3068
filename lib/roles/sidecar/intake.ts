/**
 * The sidecar's intake of `announce` and `depart` queries, before the registry sees them:
 *
 * - the source check (issue 13): a query is acted on only when its Addr/Port is the gossip
 *   address of the member holding its `SourceNode`;
 * - unknown senders (issue 19): a query can outrun the gossip that introduces its sender, and a
 *   restarted sidecar may not know its tasks yet, so the sidecar joins the address the query came
 *   from and waits a moment for the sender to become a known, alive member before judging it.
 *   The wait ends at the member's join or update ({@linkcode QueryIntake.memberJoined},
 *   {@linkcode QueryIntake.memberUpdated}) or at its bound, never by polling; at most
 *   {@linkcode WAITING_MAX} queries wait at once;
 * - departs supersede older announces (issue 15, {@linkcode DepartMemory}).
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
import { DepartMemory } from "./depart_memory.ts";
import type { SidecarMeter } from "./metrics.ts";
import type { MemberVerifier } from "./verify.ts";

/** Longest wait for the sender of a query to become a known (for an announce, alive) member. */
const UNKNOWN_SENDER_WAIT_MS = 2000;
/**
 * Most queries waiting for their sender at once. Anyone can send a query naming an invented node,
 * so the waits (each holds the query and a timer) are bounded; past the bound a query from an
 * unknown sender is judged at once (refused as unknown), and the task's announcer retries.
 */
export const WAITING_MAX = 256;
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

/** A query waiting for its sender; judged again at the sender's join or update, or at `timer`. */
interface Waiting {
  readonly kind: "announce" | "depart";
  readonly timer: TimerId;
}

/** See the module documentation. */
export class QueryIntake {
  readonly #o: QueryIntakeOptions;
  /** Queries from a sender not known yet, in arrival order. */
  readonly #waiting = new Map<QueryEvent, Waiting>();
  #waitingFullLogged = false;
  /** Gossip addresses being joined to learn an announcer. */
  readonly #learning = new Set<string>();
  readonly #departs: DepartMemory;
  #stopped = false;

  constructor(options: QueryIntakeOptions) {
    this.#o = options;
    this.#departs = new DepartMemory(options.clock);
  }

  /**
   * A member joined (new, or back after it failed or left): a remembered depart of that name
   * belonged to an earlier incarnation (a task restarted under the same name, whose query clock
   * may not have caught up yet) and no longer supersedes its announces.
   */
  memberJoined(node: string): void {
    this.#departs.forget(node);
    this.#o.verifier?.forget(node);
    this.#wake(node);
  }

  /** A member's address or tags changed: the queries waiting for it are judged again. */
  memberUpdated(node: string): void {
    this.#wake(node);
  }

  /** Drops the queries still waiting (they are not answered). */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#waiting.values()) this.#o.clock.clearTimer(w.timer);
    this.#waiting.clear();
  }

  /**
   * True when `node`'s depart was accepted at or after `sinceMs` (and it has not joined again
   * since): a solicit answer to a round started before then may have been sent before the depart
   * and must not put its server back.
   */
  departedSince(node: string, sinceMs: number): boolean {
    return (this.#departs.arrivedMs(node) ?? -Infinity) >= sinceMs;
  }

  /** How many queries wait for their sender (bounded by {@linkcode WAITING_MAX}). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** An `announce` query: wait for (and learn) an unknown sender, check its source, register. */
  announce(e: QueryEvent): void {
    this.#announce(e, true);
  }

  /**
   * A depart is acted on only when it comes from the gossip address of the member it names; an
   * unknown sender is waited for (and learnt) as for an announce: refusing it would let the
   * announce it follows, still waiting for the same sender, be accepted after it.
   */
  depart(e: QueryEvent): void {
    this.#depart(e, true);
  }

  /**
   * Judges again the queries waiting for `node`: departs first, so that one sent after a waiting
   * announce supersedes it, then announces, each in arrival order.
   */
  #wake(node: string): void {
    if (this.#stopped || this.#waiting.size === 0) return;
    const mine = [...this.#waiting].filter(([e]) => e.sourceNode === node);
    for (const kind of ["depart", "announce"] as const) {
      for (const [e, w] of mine) {
        if (w.kind !== kind || this.#waiting.get(e) !== w) continue;
        if (kind === "depart") this.#depart(e, true);
        else this.#announce(e, true);
      }
    }
  }

  #announce(e: QueryEvent, mayWait: boolean): void {
    const member = this.#o.serf.members().find((m) => m.name === e.sourceNode);
    if (this.#waitForSender(e, "announce", member?.status === MemberStatus.Alive, mayWait)) return;
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

  #depart(e: QueryEvent, mayWait: boolean): void {
    const member = this.#o.serf.members().find((m) => m.name === e.sourceNode);
    if (this.#waitForSender(e, "depart", member !== undefined, mayWait)) return;
    const mismatch = member === undefined
      ? `${e.sourceNode} is not a known cluster member`
      : sourceMismatch(member, e);
    if (mismatch === null) {
      this.#departs.remember(e.sourceNode, e.lTime);
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
   * address it queries from), and wait for it to become known before judging, until its join or
   * update wakes the query or the wait's bound judges it as it is. True while the query waits.
   */
  #waitForSender(
    e: QueryEvent,
    kind: Waiting["kind"],
    known: boolean,
    mayWait: boolean,
  ): boolean {
    const w = this.#waiting.get(e);
    if (known || !mayWait || this.#stopped) {
      if (w !== undefined) this.#o.clock.clearTimer(w.timer);
      this.#waiting.delete(e);
      return false;
    }
    if (w !== undefined) return true; // woken by a member that is not the one it waits for yet
    this.#learn(e);
    const clock = this.#o.clock;
    const leftMs = Math.min(
      UNKNOWN_SENDER_WAIT_MS,
      e.deadlineMs - clock.nowMs() - UNKNOWN_SENDER_MARGIN_MS,
    );
    if (leftMs <= 0) return false;
    if (this.#waiting.size >= WAITING_MAX) {
      if (!this.#waitingFullLogged) {
        this.#o.log.warn("sidecar.query.waiting_full", { max: WAITING_MAX, node: e.sourceNode });
      }
      this.#waitingFullLogged = true;
      return false;
    }
    if (this.#waiting.size === 0) this.#waitingFullLogged = false;
    const timer = clock.setTimer(leftMs, () => {
      if (this.#waiting.get(e)?.timer !== timer) return;
      this.#waiting.delete(e);
      if (kind === "depart") this.#depart(e, false);
      else this.#announce(e, false);
    });
    this.#waiting.set(e, { kind, timer });
    return true;
  }

  /** The LTime of a remembered depart the announce was sent before, if any. */
  #supersededBy(e: QueryEvent): number | undefined {
    return this.#departs.supersedes(e.sourceNode, e.lTime);
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
