/**
 * The sidecar's intake of `announce` and `depart` queries, before the registry sees them:
 *
 * - the source check (issue 13): a query is acted on only when its Addr/Port is the gossip
 *   address of the member holding its `SourceNode`;
 * - unknown senders (issue 19): the sidecar joins the address the query came from and waits a
 *   moment for the sender to become a known, alive member before judging it (`sender_wait.ts`).
 *   The wait ends at the member's join or update ({@linkcode QueryIntake.memberJoined},
 *   {@linkcode QueryIntake.memberUpdated}) or at its bound, never by polling;
 * - departs supersede older announces (issue 15, {@linkcode DepartMemory}).
 *
 * @module
 */

import type { Clock } from "../../clock.ts";
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
import { SenderWaits, UNKNOWN_SENDER_MARGIN_MS } from "./sender_wait.ts";
import type { MemberVerifier } from "./verify.ts";

export { WAITING_MAX } from "./sender_wait.ts";

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
  /** Queries from a sender not known yet. */
  readonly #waits: SenderWaits;
  readonly #departs: DepartMemory;

  /** An intake with no query waiting. */
  constructor(options: QueryIntakeOptions) {
    this.#o = options;
    this.#departs = new DepartMemory(options.clock);
    this.#waits = new SenderWaits({
      clock: options.clock,
      log: options.log,
      join: options.join,
      judge: (e, kind, mayWait) =>
        kind === "depart" ? this.#depart(e, mayWait) : this.#announce(e, mayWait),
    });
  }

  /**
   * A member joined (new, or back after it failed or left): a remembered depart of that name
   * belonged to an earlier incarnation (a task restarted under the same name, whose query clock
   * may not have caught up yet) and no longer supersedes its announces.
   */
  memberJoined(node: string): void {
    this.#departs.forget(node);
    this.#o.verifier?.forget(node);
    this.#waits.wake(node);
  }

  /** A member's address or tags changed: the queries waiting for it are judged again. */
  memberUpdated(node: string): void {
    this.#waits.wake(node);
  }

  /** Drops the queries still waiting (they are not answered). */
  stop(): void {
    this.#waits.stop();
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
    return this.#waits.size;
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

  #announce(e: QueryEvent, mayWait: boolean): void {
    const member = this.#o.serf.members().find((m) => m.name === e.sourceNode);
    if (this.#waits.hold(e, "announce", member?.status === MemberStatus.Alive, mayWait)) return;
    const mismatch = sourceMismatch(member, e);
    const superseded = mismatch === null ? this.#supersededBy(e) : undefined;
    const verifier = this.#o.verifier;
    if (
      mismatch === null && superseded === undefined && member !== undefined &&
      verifier !== undefined && !verifier.isVerified(member)
    ) {
      const deadlineMs = e.deadlineMs - UNKNOWN_SENDER_MARGIN_MS;
      void verifier.verify(member, deadlineMs).then((acked) => {
        if (this.#waits.stopped) return;
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
    if (this.#waits.hold(e, "depart", member !== undefined, mayWait)) return;
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
}
