/**
 * One `announce` round and one `depart` round over serf: send the query to the sidecars, log
 * each answer as it arrives, and end as soon as every sidecar answered (or the timeout passed).
 *
 * @module
 */

import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import { QUERY } from "../../proto.ts";
import {
  type Member,
  MemberStatus,
  type QueryCollector,
  type QueryParams,
} from "../../serf/mod.ts";
import type { AnnounceRound } from "./announcer.ts";
import { departSilence, readAnnounceAnswer, readDepartAnswer } from "./messages.ts";
import { errorText } from "../../log/error_text.ts";

/** Only sidecars process the task's queries. */
export const SIDECAR_FILTER: ReadonlyMap<string, string> = new Map([["role", "^sidecar$"]]);

/** The part of `Serf` the rounds use. */
export interface QuerySender {
  query(name: string, payload: Uint8Array, params?: QueryParams): QueryCollector;
  members(): Member[];
}

/**
 * Alive members with `role=sidecar`. With none, a round is skipped: there is nobody to ask (and
 * serf's query collector cannot finish while it is being constructed).
 */
export function aliveSidecars(serf: QuerySender): number {
  return serf.members().filter((m) =>
    m.status === MemberStatus.Alive && m.tags.get("role") === "sidecar"
  ).length;
}

/**
 * Sends `announce` with `payload` and logs `task.announce.accepted` / `task.announce.refused` per
 * sidecar. Throws what `serf.query` throws (size limit, shut down).
 */
export async function announceRound(
  serf: QuerySender,
  o: {
    payload: Uint8Array;
    state: string;
    log: Logger;
    /** Each sidecar's answer, for metrics: accepted or rejected, seconds since the query. */
    onAnswer?: ((accepted: boolean, seconds: number) => void) | undefined;
    /** A sidecar accepted. */
    onAccepted?: ((sidecar: string) => void) | undefined;
    /** A sidecar refused, with its reason. */
    onRefused?: ((sidecar: string, reason: string) => void) | undefined;
    nowMs?: (() => number) | undefined;
  },
): Promise<AnnounceRound> {
  if (aliveSidecars(serf) === 0) {
    o.log.info("task.announce", { state: o.state, sidecars: 0 });
    return { answered: 0, accepted: 0 };
  }
  let accepted = 0;
  let unconfirmed = 0;
  const sentMs = o.nowMs?.() ?? 0;
  const q = serf.query(QUERY.announce, o.payload, {
    filterTags: SIDECAR_FILTER,
    onResponse: (r) => {
      const a = readAnnounceAnswer(r.payload);
      o.onAnswer?.(a.accepted, ((o.nowMs?.() ?? 0) - sentMs) / 1000);
      if (a.accepted) {
        accepted++;
        o.onAccepted?.(r.from);
        if (a.server === undefined) unconfirmed++;
        o.log.info("task.announce.accepted", {
          sidecar: r.from,
          state: o.state,
          ...(a.server === undefined ? {} : { server: a.server }),
          ...(a.backend === undefined ? {} : { backend: a.backend }),
        });
      } else {
        o.log.warn("task.announce.refused", { sidecar: r.from, state: o.state, reason: a.reason });
        o.onRefused?.(r.from, a.reason);
      }
    },
  });
  o.log.info("task.announce", { state: o.state, sidecars: q.expected.size });
  const result = await q.done();
  return { answered: result.responses.length, accepted, unconfirmed };
}

/** What a depart round saw. */
export interface DepartRound {
  readonly expected: number;
  readonly answered: number;
  readonly elapsedMs: number;
}

/**
 * Sends `depart` with a `timeoutMs` deadline (asking for acks, so a sidecar that got the query but
 * cannot answer it is told apart from one that never got it) and logs `task.depart.answer` per
 * sidecar, `task.depart.unanswered` with the reason when some stayed silent, then
 * `task.depart.done`. Never throws: a query that cannot be sent is logged and counts as no answer.
 */
export async function departRound(
  serf: QuerySender,
  o: { payload: Uint8Array; timeoutMs: number; clock: Clock; log: Logger },
): Promise<DepartRound> {
  const started = o.clock.nowMs();
  if (aliveSidecars(serf) === 0) {
    o.log.info("task.depart", { sidecars: 0, timeoutMs: o.timeoutMs });
    o.log.info("task.depart.done", { expected: 0, answered: 0, elapsedMs: 0, endedEarly: true });
    return { expected: 0, answered: 0, elapsedMs: 0 };
  }
  let q: QueryCollector;
  try {
    q = serf.query(QUERY.depart, o.payload, {
      filterTags: SIDECAR_FILTER,
      timeoutMs: o.timeoutMs,
      requestAck: true,
      onResponse: (r) => {
        const a = readDepartAnswer(r.payload);
        o.log.info("task.depart.answer", { sidecar: r.from, ...a });
      },
    });
  } catch (err) {
    o.log.warn("task.depart.failed", { error: errorText(err) });
    return { expected: 0, answered: 0, elapsedMs: 0 };
  }
  o.log.info("task.depart", { sidecars: q.expected.size, timeoutMs: o.timeoutMs });
  const result = await q.done();
  const reason = departSilence({
    expected: q.expected,
    answered: new Set(result.responses.map((r) => r.from)),
    acked: new Set(result.acks),
    timeoutMs: o.timeoutMs,
  });
  if (reason !== undefined) {
    o.log.warn("task.depart.unanswered", { reason, acked: result.acks.join(",") });
  }
  const round = {
    expected: q.expected.size,
    answered: result.responses.length,
    elapsedMs: Math.round(o.clock.nowMs() - started),
  };
  o.log.info("task.depart.done", { ...round, endedEarly: result.endedEarly });
  return round;
}
