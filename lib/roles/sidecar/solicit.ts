/**
 * The sidecar's solicit rounds: one `solicit` query to every task, each answer registered as an
 * announce. An answer from a member believed failed first joins the address the answer came from
 * (its refutation was lost, or it lives at another address than the dead entry we hold) and goes
 * on once the member is alive again; an answer from a member not verified yet waits for its ping
 * (see {@linkcode MemberVerifier}); one from a node whose depart arrived since the round began is
 * dropped, since it may predate the depart.
 *
 * @module
 */

import type { Clock, TimerId } from "../../clock.ts";
import type { Address } from "../../gossip/types.ts";
import type { Logger } from "../../log/logger.ts";
import { QUERY } from "../../proto.ts";
import { joinHostPort } from "../../serf/addr.ts";
import { SerfError } from "../../serf/errors.ts";
import { type Member, MemberStatus } from "../../serf/members.ts";
import type { Serf } from "../../serf/serf.ts";
import type { SidecarMeter } from "./metrics.ts";
import { type MemberVerifier, VERIFY_PING_TOTAL_MS } from "./verify.ts";

/**
 * How long an answer from a member believed failed waits, after the join, for the member to be
 * alive again: the join tells the task it was declared dead, and its refutation reaches us by
 * gossip a moment later (sim seed 34 --mistakes: registered at once, it was refused as failed
 * and the task stayed out of rotation until the next round, 30 s later).
 */
export const FAILED_ANSWER_WAIT_MS = 2_000;
/** Most answers waiting so at once (each is a known member's; bounded all the same). */
export const FAILED_ANSWERS_WAITING_MAX = 256;

/** Tag filter of `solicit`: only tasks answer. */
const SOLICIT_FILTER: ReadonlyMap<string, string> = new Map([["role", "^task$"]]);

/** True for members that answer `solicit` (the same test as {@linkcode SOLICIT_FILTER}). */
function isTask(m: Member): boolean {
  return m.tags.get("role") === "task";
}

/** Alive members other than this node. */
export function alivePeers(serf: Pick<Serf, "members" | "localName">): number {
  return serf.members().filter((m) => m.name !== serf.localName && m.status === MemberStatus.Alive)
    .length;
}

/** What {@linkcode SolicitRounds} works with. */
export interface SolicitRoundsOptions {
  readonly serf: Pick<Serf, "members" | "localName" | "query">;
  readonly clock: Clock;
  readonly log: Logger;
  readonly meter?: SidecarMeter | undefined;
  readonly verifier?: MemberVerifier | undefined;
  /** Joins a gossip address (`host:port`); how an answer from a member believed failed is heard. */
  readonly join?: ((addr: string) => Promise<number>) | undefined;
  /** True when the node's depart was accepted at or after `sinceMs`. */
  departedSince(node: string, sinceMs: number): boolean;
  /** Registers an answer as an announce (`via: "solicit"`). */
  register(node: string, payload: Uint8Array): void;
  /** A round completed (or had no task to ask) while another member was alive at its start. */
  converged(reason: string): void;
  /** True once the sidecar stops: late answers are dropped. */
  stopped(): boolean;
}

/** See the module documentation. */
export class SolicitRounds {
  readonly #o: SolicitRoundsOptions;
  #running = false;
  /** Answers of members believed failed, joined, waiting for the member to be alive again. */
  readonly #awaitingAlive = new Map<
    string,
    { payload: Uint8Array; roundMs: number; timer: TimerId }
  >();

  constructor(options: SolicitRoundsOptions) {
    this.#o = options;
  }

  /** True while a round runs (never two at once from the periodic timer). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * A member is alive again: the answer it gave while believed failed goes on now (verified
   * first when it is alive at an address we have not verified).
   */
  memberJoined(node: string): void {
    const w = this.#awaitingAlive.get(node);
    if (w === undefined) return;
    this.#o.clock.clearTimer(w.timer);
    this.#awaitingAlive.delete(node);
    if (!this.#o.stopped()) this.#onAnswer(node, w.payload, w.roundMs, undefined);
  }

  /** Drops the answers still waiting. */
  stop(): void {
    for (const w of this.#awaitingAlive.values()) this.#o.clock.clearTimer(w.timer);
    this.#awaitingAlive.clear();
  }

  /** Asks every task to re-announce; resolves to the number of answers. */
  async run(reason: string): Promise<number> {
    const { serf, clock, log } = this.#o;
    const startedMs = clock.nowMs();
    let answers = 0;
    const peersBefore = alivePeers(serf);
    // No alive task: nobody to ask.
    if (!serf.members().some((m) => m.status === MemberStatus.Alive && isTask(m))) {
      log.debug("sidecar.solicit", { reason, answers, tasks: 0 });
      if (peersBefore > 0) this.#o.converged(reason);
      return 0;
    }
    this.#running = true;
    // A task we believe failed may be alive (its refutation lost to a one-way cut) and answer
    // through a relay after the tasks we believe alive did: then the round runs its full time.
    const failedTask = serf.members().some((m) => m.status === MemberStatus.Failed && isTask(m));
    try {
      const result = await serf.query(QUERY.solicit, new Uint8Array(0), {
        filterTags: SOLICIT_FILTER,
        ...(failedTask ? { endEarly: false } : {}),
        onResponse: (r) => {
          answers++;
          if (!this.#o.stopped()) this.#onAnswer(r.from, r.payload, startedMs, r.via);
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
      if (peersBefore > 0) this.#o.converged(reason);
    } catch (err) {
      if (!(err instanceof SerfError)) throw err;
      log.warn("sidecar.solicit.failed", { reason, error: err.message });
      this.#o.meter?.solicitRound((clock.nowMs() - startedMs) / 1000, "error");
    } finally {
      this.#running = false;
    }
    return answers;
  }

  /**
   * One answer. An answer from a node whose depart arrived after the round began may predate the
   * depart (sim seed 22 --mistakes: a `ready` answer sent just before SIGTERM re-enabled the
   * draining server): the depart rules. `via` is the address the answer came from, joined when
   * the member is believed failed (see {@linkcode SolicitRounds.#joinFailed}).
   */
  #onAnswer(node: string, payload: Uint8Array, roundMs: number, via: Address | undefined): void {
    const { log, meter } = this.#o;
    if (this.#o.departedSince(node, roundMs)) {
      log.info("sidecar.solicit.superseded", { node, reason: "departed since the round began" });
      meter?.query("solicit", "rejected", 0);
      return;
    }
    const m = this.#o.serf.members().find((x) => x.name === node);
    if (m?.status === MemberStatus.Failed && this.#o.join !== undefined) {
      return this.#joinFailed(m, payload, roundMs, via);
    }
    const verifier = this.#o.verifier;
    if (m !== undefined && verifier !== undefined && !verifier.isVerified(m)) {
      // the answer names its sender; only the node at that member's address may vouch for it
      const deadlineMs = this.#o.clock.nowMs() + VERIFY_PING_TOTAL_MS;
      void verifier.verify(m, deadlineMs).then((acked) => {
        if (this.#o.stopped()) return;
        if (acked) return this.#onAnswer(node, payload, roundMs, undefined);
        const addr = joinHostPort(m.host, m.port);
        log.warn("sidecar.query.source_refused", {
          via: "solicit",
          node,
          addr,
          reason: `${node} did not answer a ping at ${addr}`,
        });
        meter?.query("announce", "rejected", 0);
      });
      return;
    }
    this.#o.register(node, payload);
  }

  /**
   * An answer from a member believed failed: join the address the answer came from, which
   * brings its newer state here (its refutation, or its alive at a new address once the dead
   * entry may move: sim seed 86 --mistakes, where the entry we held was a departed impostor's
   * and joining it dialled a dead address), then go on as the member is then, or wait for it
   * to be alive (see {@linkcode SolicitRounds.#awaitAlive}).
   */
  #joinFailed(m: Member, payload: Uint8Array, roundMs: number, via: Address | undefined): void {
    const node = m.name;
    const addr = via === undefined
      ? joinHostPort(m.host, m.port)
      : joinHostPort(via.host, via.port);
    this.#o.log.info("sidecar.solicit.failed_member_answered", { node, addr: m.host, join: addr });
    void this.#o.join!(addr).catch(() => 0).then(() => {
      if (this.#o.stopped() || this.#o.departedSince(node, roundMs)) return;
      const now = this.#o.serf.members().find((x) => x.name === node);
      if (now?.status !== MemberStatus.Failed) {
        return this.#onAnswer(node, payload, roundMs, undefined);
      }
      this.#awaitAlive(node, payload, roundMs);
    });
  }

  /** Registers the answer at the member's join, or as it is after {@linkcode FAILED_ANSWER_WAIT_MS}. */
  #awaitAlive(node: string, payload: Uint8Array, roundMs: number): void {
    const old = this.#awaitingAlive.get(node);
    if (old !== undefined) this.#o.clock.clearTimer(old.timer);
    else if (this.#awaitingAlive.size >= FAILED_ANSWERS_WAITING_MAX) {
      return this.#o.register(node, payload); // refused as failed; the next round asks again
    }
    const timer = this.#o.clock.setTimer(FAILED_ANSWER_WAIT_MS, () => {
      if (this.#awaitingAlive.get(node)?.timer !== timer) return;
      this.#awaitingAlive.delete(node);
      if (!this.#o.stopped()) this.#o.register(node, payload);
    });
    this.#awaitingAlive.set(node, { payload, roundMs, timer });
  }
}
