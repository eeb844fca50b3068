/**
 * Answering `announce` queries and `solicit` answers: the payload is decoded, the sender looked up
 * in serf's member list (its gossip address is the only address ever used), the registry decides,
 * and the verdict is encoded as an `AnnounceResponse`. Pure: no I/O, the caller sends the bytes.
 *
 * @module
 */

import { type Member, MEMBER_STATUS_NAMES } from "../../serf/members.ts";
import {
  type AnnounceRequest,
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  encodePayload,
  PayloadError,
} from "../../proto.ts";
import type { AnnounceVerdict, AnnouncingMember, Registry } from "./registry.ts";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import { joinHostPort } from "../../net/mod.ts";
import type { SidecarMeter } from "./metrics.ts";

/**
 * Longest refusal reason sent back. Reasons quote network input (a backend name) and the served
 * backends; serf refuses responses over 1024 bytes, so the text is cut well below that.
 */
export const REASON_LENGTH_MAX = 400;

/** What handling one announce produced. */
export interface AnnounceOutcome {
  /** The registry's verdict (or the decode failure as a refusal). */
  readonly verdict: AnnounceVerdict;
  /** The decoded request; undefined when the payload was not a valid `AnnounceRequest`. */
  readonly request: AnnounceRequest | undefined;
  /** The gossip address used, when the member was known. */
  readonly host: string | undefined;
  /** The encoded `AnnounceResponse` to send back. */
  readonly response: Uint8Array;
}

/** The registry's view of a serf member (undefined stays undefined: an unknown sender). */
export function memberView(member: Member | undefined): AnnouncingMember | undefined {
  if (member === undefined) return undefined;
  const status = MEMBER_STATUS_NAMES[member.status] as AnnouncingMember["status"];
  return { name: member.name, host: member.host, status, zone: member.tags.get("zone") };
}

/**
 * Decodes `payload` as an `AnnounceRequest` from `member`, records it in `registry` and returns the
 * verdict with the encoded response.
 *
 * @example
 * ```ts
 * import { handleAnnounce } from "./announce.ts";
 * import { Registry } from "./registry.ts";
 * import { AnnounceRequestSchema, encodePayload } from "../../proto.ts";
 * const registry = new Registry({
 *   prefix: "shoal-", defaultBackend: "web", backends: ["web"], defaultWeight: 100,
 *   slowstartMs: 0, check: { interMs: 1000 }, orphanGraceMs: 30_000,
 * });
 * const payload = encodePayload(AnnounceRequestSchema, { port: 8080, backend: "", state: "ready" });
 * const out = handleAnnounce(registry, { name: "t1", host: "10.0.0.7", status: "alive" }, payload, 0);
 * console.assert(out.verdict.accepted && out.response.length > 0);
 * ```
 */
export function handleAnnounce(
  registry: Registry,
  member: AnnouncingMember | undefined,
  payload: Uint8Array,
  nowMs: number,
): AnnounceOutcome {
  let request: AnnounceRequest;
  try {
    request = decodePayload(AnnounceRequestSchema, payload);
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    const verdict: AnnounceVerdict = { accepted: false, reason: err.message };
    return { verdict, request: undefined, host: member?.host, response: encodeVerdict(verdict) };
  }
  const verdict = registry.announce(member, {
    port: request.port,
    backend: request.backend,
    state: request.state,
    ...(request.weight === undefined ? {} : { weight: request.weight }),
  }, nowMs);
  return { verdict, request, host: member?.host, response: encodeVerdict(verdict) };
}

/**
 * Why a query cannot be trusted to come from `member` (the node holding its `SourceNode`), or
 * null when it can: its Addr/Port must be that member's gossip address (issue 13). Without a
 * gossip key anyone can send a query naming any node; with this check a forged one must also
 * spoof the member's address, and a newcomer reusing a live member's name is refused.
 *
 * @example
 * ```ts
 * import { sourceMismatch } from "./announce.ts";
 * const m = { name: "t1", host: "10.0.0.7", port: 7946 };
 * console.assert(sourceMismatch(m, { sourceAddr: { host: "10.0.0.7", port: 7946 } }) === null);
 * console.assert(sourceMismatch(m, { sourceAddr: { host: "10.0.0.9", port: 7946 } }) !== null);
 * ```
 */
export function sourceMismatch(
  member: Pick<Member, "name" | "host" | "port"> | undefined,
  query: { readonly sourceAddr: { readonly host: string; readonly port: number } },
): string | null {
  if (member === undefined) return null; // unknown: the registry refuses it
  const { host, port } = query.sourceAddr;
  if (sameHost(host, member.host) && port === member.port) return null;
  return `node name ${JSON.stringify(member.name)} is held by a member at ${
    joinHostPort(member.host, member.port)
  }, not ${joinHostPort(host, port)}`;
}

function sameHost(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** What {@linkcode registerAnnounce} logs and counts with. */
export interface RegisterContext {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly log: Logger;
  readonly meter?: SidecarMeter | undefined;
}

/**
 * {@linkcode handleAnnounce} for an announce query or a solicit answer (`via`) from `node`, with
 * its log line (`sidecar.announce`, debug for an undecodable payload) and its query metric.
 */
export function registerAnnounce(
  ctx: RegisterContext,
  member: AnnouncingMember | undefined,
  node: string,
  payload: Uint8Array,
  via: "announce" | "solicit",
): AnnounceOutcome {
  const startedMs = ctx.clock.nowMs();
  const out = handleAnnounce(ctx.registry, member, payload, startedMs);
  const req = out.request;
  const fields = {
    via,
    node,
    addr: out.host !== undefined && req ? joinHostPort(out.host, req.port) : out.host ?? "",
    state: req?.state ?? "",
    accepted: out.verdict.accepted,
    ...(out.verdict.accepted
      ? { backend: out.verdict.backend, server: out.verdict.server }
      : { backend: req?.backend ?? "", reason: out.verdict.reason }),
  };
  if (req === undefined) ctx.log.debug("sidecar.announce", fields);
  else ctx.log.info("sidecar.announce", fields);
  const result = req === undefined ? "error" : out.verdict.accepted ? "accepted" : "rejected";
  ctx.meter?.query(via, result, (ctx.clock.nowMs() - startedMs) / 1000);
  return out;
}

/** Encodes a verdict as an `AnnounceResponse`, cutting the reason to {@linkcode REASON_LENGTH_MAX}. */
export function encodeVerdict(verdict: AnnounceVerdict): Uint8Array {
  if (verdict.accepted) {
    return encodePayload(AnnounceResponseSchema, {
      accepted: true,
      reason: "",
      server: verdict.server,
      backend: verdict.backend,
    });
  }
  return encodePayload(AnnounceResponseSchema, {
    accepted: false,
    reason: cut(verdict.reason, REASON_LENGTH_MAX),
  });
}

/** Cuts `text` to at most `max` UTF-16 units, marking the cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}
