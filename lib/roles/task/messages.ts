/**
 * The task's side of the role protocol as pure functions: the payloads it sends (`announce`,
 * the `solicit` answer, `depart`) and the sidecars' answers turned into log-ready summaries.
 *
 * @example
 * ```ts
 * import { announcePayload, readAnnounceAnswer } from "./messages.ts";
 * import { AnnounceResponseSchema, encodePayload } from "../../proto.ts";
 * const bytes = announcePayload({ port: 8080, backend: null, weight: null }, "ready");
 * console.assert(bytes.length > 0);
 * const a = readAnnounceAnswer(encodePayload(AnnounceResponseSchema, { accepted: true, reason: "" }));
 * console.assert(a.accepted);
 * ```
 *
 * @module
 */

import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  DepartRequestSchema,
  DepartResponseSchema,
  encodePayload,
  PayloadError,
} from "../../proto.ts";
import type { TaskState } from "./lifecycle.ts";

/** What the task serves: the bound worker port and its `--backend` / `--weight`. */
export interface ServedPort {
  readonly port: number;
  readonly backend: string | null;
  readonly weight: number | null;
}

/** The `AnnounceRequest` bytes (also the `solicit` answer). */
export function announcePayload(served: ServedPort, state: TaskState): Uint8Array {
  return encodePayload(AnnounceRequestSchema, {
    port: served.port,
    backend: served.backend ?? "",
    state,
    ...(served.weight === null ? {} : { weight: served.weight }),
  });
}

/** The `DepartRequest` bytes; `addr` is informational (sidecars use the gossip address). */
export function departPayload(
  served: ServedPort,
  o: { addr: string; timeoutSeconds: number },
): Uint8Array {
  return encodePayload(DepartRequestSchema, {
    addr: o.addr,
    port: served.port,
    backend: served.backend ?? "",
    timeoutSeconds: o.timeoutSeconds,
  });
}

/** A sidecar's answer to `announce`, or why it could not be read. */
export interface AnnounceAnswer {
  readonly accepted: boolean;
  readonly reason: string;
  readonly server?: string;
  readonly backend?: string;
}

/** Decodes an `AnnounceResponse`; an undecodable one counts as refused with the decode error. */
export function readAnnounceAnswer(bytes: Uint8Array): AnnounceAnswer {
  try {
    const r = decodePayload(AnnounceResponseSchema, bytes);
    return {
      accepted: r.accepted,
      reason: r.reason,
      ...(r.server === undefined ? {} : { server: r.server }),
      ...(r.backend === undefined ? {} : { backend: r.backend }),
    };
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    return { accepted: false, reason: `invalid response: ${err.message}` };
  }
}

/** A sidecar's answer to `depart`. */
export interface DepartAnswer {
  readonly accepted: boolean;
  readonly reason: string;
  readonly drained?: boolean;
  readonly remainingSessions?: number;
  readonly drainMs?: number;
}

/** Decodes a `DepartResponse`; an undecodable one counts as refused with the decode error. */
export function readDepartAnswer(bytes: Uint8Array): DepartAnswer {
  try {
    const r = decodePayload(DepartResponseSchema, bytes);
    return {
      accepted: r.accepted,
      reason: r.reason,
      ...(r.drained === undefined ? {} : { drained: r.drained }),
      ...(r.remainingSessions === undefined ? {} : { remainingSessions: r.remainingSessions }),
      ...(r.drainMs === undefined ? {} : { drainMs: r.drainMs }),
    };
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    return { accepted: false, reason: `invalid response: ${err.message}` };
  }
}

/** Who was asked to answer a `depart` and what came back. */
export interface DepartSilence {
  /** The sidecars the query expected answers from. */
  readonly expected: ReadonlySet<string>;
  /** The ones that answered. */
  readonly answered: ReadonlySet<string>;
  /** The ones that acknowledged receiving the query. */
  readonly acked: ReadonlySet<string>;
  readonly timeoutMs: number;
}

/**
 * Why some sidecars did not answer a `depart`, as one log-ready sentence; undefined when every
 * expected sidecar answered. A sidecar that acknowledged the query but never answered received
 * it and has no `depart` handler (the Go shoal: it only drains a task once the task leaves the
 * cluster); one that did not even acknowledge it was unreachable, overloaded or gone.
 *
 * @example
 * ```ts
 * import { departSilence } from "./messages.ts";
 * const why = departSilence({
 *   expected: new Set(["go-1"]), answered: new Set(), acked: new Set(["go-1"]), timeoutMs: 2000,
 * });
 * console.assert(why?.startsWith("depart: no sidecar answered within 2s (sidecars known: go-1"));
 * ```
 */
export function departSilence(o: DepartSilence): string | undefined {
  const silent = [...o.expected].filter((n) => !o.answered.has(n)).sort();
  if (silent.length === 0) return undefined;
  const within = `within ${Number((o.timeoutMs / 1000).toFixed(1))}s`;
  const head = silent.length === o.expected.size
    ? `depart: no sidecar answered ${within}`
    : `depart: ${silent.length} of ${o.expected.size} sidecars did not answer ${within}`;
  const each = silent.map((n) =>
    o.acked.has(n)
      ? `${n} acknowledged the query but sent no answer, as a sidecar without a depart handler ` +
        "does (the Go shoal drains this task only once it leaves the cluster)"
      : `${n} did not acknowledge it (unreachable, overloaded or gone)`
  );
  return `${head} (sidecars known: ${each.join("; ")})`;
}
