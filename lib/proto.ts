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
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";

export {
  type AnnounceRequest,
  AnnounceRequestSchema,
  type AnnounceResponse,
  AnnounceResponseSchema,
  type DepartRequest,
  DepartRequestSchema,
  type DepartResponse,
  DepartResponseSchema,
} from "./gen/shoal_pb.ts";

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

/** Encodes a message from its fields. */
export function encodePayload<D extends DescMessage>(
  schema: D,
  init: MessageInitShape<D>,
): Uint8Array {
  return toBinary(schema, create(schema, init));
}

/** Decodes untrusted bytes; throws {@linkcode PayloadError} when they are not a valid message. */
export function decodePayload<D extends DescMessage>(
  schema: D,
  bytes: Uint8Array,
): MessageShape<D> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new PayloadError(
      `Cannot decode ${schema.typeName}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
