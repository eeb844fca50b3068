/**
 * Answers to serf's internal queries (wire spec §7.10): `_serf_ping`, `_serf_conflict` and the
 * key commands. Internal queries never reach the application.
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { fromUtf8 } from "../gossip/wire/msgpack.ts";
import type { QueryEvent } from "./events.ts";
import {
  decodeKeyRequest,
  encodeConflictResponse,
  encodeKeyResponse,
  type KeyResponse,
} from "./internal_messages.ts";
import type { Member } from "./members.ts";
import { errorText } from "../log/error_text.ts";

/** Prefix of internal query names. */
export const INTERNAL_QUERY_PREFIX = "_serf_";

/**
 * The gossip encryption keyring, when encryption is on. Operations throw an `Error` whose message
 * is sent back to the querier.
 */
export interface SerfKeyring {
  /** Adds a key. */
  install(key: Uint8Array): void;
  /** Makes a key primary. */
  use(key: Uint8Array): void;
  /** Removes a key. */
  remove(key: Uint8Array): void;
  /** All keys, the primary one first. */
  keys(): Uint8Array[];
}

/** What the internal handler needs. */
export interface InternalQueryContext {
  readonly localName: string;
  readonly log: Logger;
  readonly keyring: SerfKeyring | undefined;
  /** The encoded response limit (a list-keys answer is truncated to fit). */
  readonly responseLimitBytes: number;
  member(name: string): Member | undefined;
}

const NO_KEYRING = "No keyring to modify (encryption not enabled)";
const EMPTY_KEYRING = "Keyring is empty (encryption not enabled)";

function b64(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b));
}

function keyOp(q: QueryEvent, op: string, ctx: InternalQueryContext): KeyResponse {
  const base = { keys: [] as string[], primaryKey: "" };
  if (ctx.keyring === undefined) {
    return { ...base, result: false, message: op === "list-keys" ? EMPTY_KEYRING : NO_KEYRING };
  }
  try {
    if (op === "list-keys") return listKeys(ctx.keyring, ctx.responseLimitBytes);
    const key = decodeKeyRequest(q.payload);
    if (op === "install-key") ctx.keyring.install(key);
    else if (op === "use-key") ctx.keyring.use(key);
    else ctx.keyring.remove(key);
    return { ...base, result: true, message: "" };
  } catch (e) {
    return { ...base, result: false, message: errorText(e) };
  }
}

function listKeys(keyring: SerfKeyring, limitBytes: number): KeyResponse {
  const all = keyring.keys().map(b64);
  const r: KeyResponse = { result: true, message: "", keys: all, primaryKey: all[0] ?? "" };
  // Response envelope (type byte, From, IDs, Lamport time) costs well under 100 bytes.
  let n = all.length;
  while (n > 0 && encodeKeyResponse(r).length + 100 > limitBytes) {
    n--;
    r.keys = all.slice(0, n);
    r.message = `truncated key list response, showing first ${n} of ${all.length} keys`;
  }
  return r;
}

/** Handles one internal query; unknown `_serf_` names are logged and ignored. */
export function handleInternalQuery(q: QueryEvent, ctx: InternalQueryContext): void {
  const op = q.name.slice(INTERNAL_QUERY_PREFIX.length);
  switch (op) {
    case "ping":
      return; // the generic ack was already sent
    case "conflict": {
      const name = fromUtf8(q.payload);
      if (name === ctx.localName) return;
      const m = ctx.member(name);
      const record = m === undefined ? null : { ...m, status: m.status };
      q.respond(encodeConflictResponse(record));
      return;
    }
    case "install-key":
    case "use-key":
    case "remove-key":
    case "list-keys":
      q.respond(encodeKeyResponse(keyOp(q, op, ctx)));
      return;
    default:
      ctx.log.warn("serf.query.internal_unhandled", { name: q.name });
  }
}
