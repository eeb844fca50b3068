/**
 * The query payloads of shoal's roles (`proto/shoal.proto`, package `shoal.v1`), with small
 * helpers that turn bytes from the network into messages or a {@linkcode PayloadError}.
 *
 * @example
 * ```ts
 * import { AnnounceRequestSchema, decodePayload, encodePayload } from "./proto.ts";
 * const bytes = encodePayload(AnnounceRequestSchema, { port: 8080, backend: "web", state: "ready" });
 * console.assert(decodePayload(AnnounceRequestSchema, bytes).port === 8080);
 * ```
 *
 * @module
 */

import {
  decodeMessage,
  encodeMessage,
  type FieldSpec,
  type MessageSchema,
  messageSchema,
  ProtoDecodeError,
} from "./proto_codec.ts";

export type { MessageSchema };

const f = (no: number, key: string, kind: FieldSpec["kind"], optional = false): FieldSpec => ({
  no,
  key,
  kind,
  optional,
});

/**
 * Query `announce` (and the answer to `solicit`): a task tells the sidecars where it serves. The
 * task's address is never taken from the payload: sidecars use the gossip address of the query's
 * source node.
 */
export interface AnnounceRequest {
  /** The worker's listening port, 1..65535. */
  port: number;
  /** The HAProxy backend the task wants to join; empty means the sidecar's default backend. */
  backend: string;
  /** `ready` to receive traffic; anything else asks the sidecar to drain the server. */
  state: string;
  /** The server weight (HAProxy 1..256); absent means the sidecar's default. */
  weight?: number;
}

/** A sidecar's answer to `announce` (field numbers 1 and 2 as the Go shoal's). */
export interface AnnounceResponse {
  accepted: boolean;
  /** Why the announce was refused; empty when accepted. */
  reason: string;
  /** The HAProxy server name the sidecar uses for the task, when accepted. */
  server?: string;
  /** The backend the server is in, when accepted. */
  backend?: string;
}

/** Query `depart`: a stopping task asks the sidecars to drain and remove its server. */
export interface DepartRequest {
  /** The task's gossip address, as the sidecar knows it. */
  addr: string;
  port: number;
  backend: string;
  /** How long the sidecar may drain before it removes the server. */
  timeoutSeconds: number;
}

/** A sidecar's answer to `depart`. */
export interface DepartResponse {
  accepted: boolean;
  reason: string;
  /** True when the server had no sessions left before the deadline. */
  drained?: boolean;
  /** Sessions still open when the answer was sent. */
  remainingSessions?: number;
  /** How long the drain took. */
  drainMs?: number;
}

/** `shoal.v1.AnnounceRequest` (`proto/shoal.proto`). */
export const AnnounceRequestSchema: MessageSchema<AnnounceRequest> = messageSchema(
  "shoal.v1.AnnounceRequest",
  [
    f(1, "port", "uint32"),
    f(2, "backend", "string"),
    f(3, "state", "string"),
    f(4, "weight", "uint32", true),
  ],
);

/** `shoal.v1.AnnounceResponse`; field 3 is reserved (a Go revision's reason) and skipped. */
export const AnnounceResponseSchema: MessageSchema<AnnounceResponse> = messageSchema(
  "shoal.v1.AnnounceResponse",
  [
    f(1, "accepted", "bool"),
    f(2, "reason", "string"),
    f(4, "server", "string", true),
    f(5, "backend", "string", true),
  ],
);

/** `shoal.v1.DepartRequest`. */
export const DepartRequestSchema: MessageSchema<DepartRequest> = messageSchema(
  "shoal.v1.DepartRequest",
  [
    f(1, "addr", "string"),
    f(2, "port", "uint32"),
    f(3, "backend", "string"),
    f(4, "timeoutSeconds", "uint32"),
  ],
);

/** `shoal.v1.DepartResponse`. */
export const DepartResponseSchema: MessageSchema<DepartResponse> = messageSchema(
  "shoal.v1.DepartResponse",
  [
    f(1, "accepted", "bool"),
    f(2, "reason", "string"),
    f(3, "drained", "bool", true),
    f(4, "remainingSessions", "uint32", true),
    f(5, "drainMs", "uint32", true),
  ],
);

/** Query names: the method of each exchange. */
export const QUERY = { announce: "announce", solicit: "solicit", depart: "depart" } as const;

/** Task states carried in `AnnounceRequest.state` and the `state` tag. */
export const TASK_STATE = {
  starting: "starting",
  ready: "ready",
  unhealthy: "unhealthy",
  draining: "draining",
} as const;

/** Thrown when a payload is not a valid message of the expected type. */
export class PayloadError extends Error {
  override name = "PayloadError";
}

/** Encodes a message from its fields (absent ones take their defaults). */
export function encodePayload<T>(schema: MessageSchema<T>, init: Partial<T>): Uint8Array {
  return encodeMessage(schema, init);
}

/** Decodes untrusted bytes; throws {@linkcode PayloadError} when they are not a valid message. */
export function decodePayload<T>(schema: MessageSchema<T>, bytes: Uint8Array): T {
  try {
    return decodeMessage(schema, bytes);
  } catch (err) {
    if (!(err instanceof ProtoDecodeError)) throw err;
    throw new PayloadError(`Cannot decode ${schema.typeName}: ${err.message}`, { cause: err });
  }
}
