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
