/**
 * Push/pull (type 6), memberlist's full state exchange over TCP (wire spec §5.4):
 * `[0x06][header {Join, Nodes, UserStateLen}][node state × Nodes][UserStateLen raw bytes]`.
 *
 * {@linkcode PushPullParser} reads it incrementally, for a stream that is still arriving; the
 * node count and user state length are checked against limits before anything is kept, and
 * nothing is allocated from a declared length before those bytes have arrived.
 *
 * @example
 * ```ts
 * import { decodePushPull, encodePushPull } from "./push_pull.ts";
 * const wire = encodePushPull({ join: true, nodes: [], userState: new Uint8Array([2]) });
 * console.assert(decodePushPull(wire).userState.join() === "2");
 * ```
 *
 * @module
 */

import { DecodeError } from "./errors.ts";
import {
  MessageType,
  type PushNodeState,
  type PushPullHeader,
  readPushNodeState,
  readPushPullHeader,
  writePushNodeState,
  writePushPullHeader,
} from "./messages.ts";
import { MsgpackTruncatedError, Writer } from "./msgpack.ts";
import { ScannedValue } from "./_msgpack_scan.ts";

/**
 * Node states accepted in one push/pull. Go allows 1 048 576; shoal clusters (ECS services) are
 * far smaller, and 65 536 entries of up to ~600 bytes already make ~40 MB of state.
 */
export const PUSH_PULL_NODES_MAX = 65536;
/**
 * Delegate (serf) state accepted in one push/pull. Go allows 20 MiB; serf's state is 512 event
 * slots (user events are at most 512 bytes) plus ~20 bytes per member: 8 MiB is ample for
 * 65 536 members.
 */
export const USER_STATE_MAX_BYTES = 8 * 1024 * 1024;

/** A decoded or to-be-encoded push/pull. */
export interface PushPull {
  /** True for a join, false for periodic anti-entropy; the acceptor echoes the dialer's. */
  join: boolean;
  /** The sender's entire node table, itself included. */
  nodes: PushNodeState[];
  /** Delegate state (for serf `[0x02][msgpack]`); empty for none. */
  userState: Uint8Array;
}

/**
 * Encodes a push/pull message, type byte included (before compression and encryption).
 *
 * @example
 * ```ts
 * import { encodePushPull } from "./push_pull.ts";
 * console.assert(encodePushPull({ join: false, nodes: [], userState: new Uint8Array() })[0] === 6);
 * ```
 */
export function encodePushPull(p: PushPull): Uint8Array {
  const w = new Writer();
  w.u8(MessageType.PushPull);
  writePushPullHeader(w, { join: p.join, nodes: p.nodes.length, userStateLen: p.userState.length });
  for (const n of p.nodes) writePushNodeState(w, n);
  w.raw(p.userState);
  return w.bytes();
}

/** Limits for {@linkcode PushPullParser} and {@linkcode decodePushPull}. */
export interface PushPullLimits {
  /** @default {PUSH_PULL_NODES_MAX} */
  nodesMax?: number | undefined;
  /** @default {USER_STATE_MAX_BYTES} */
  userStateMaxBytes?: number | undefined;
}

/**
 * Incremental push/pull body parser (the bytes after the type byte). Call {@linkcode step} with
 * the body received so far (always from its start) until it returns the result; each byte is
 * scanned once however the body is split.
 *
 * @example
 * ```ts
 * import { encodePushPull, PushPullParser } from "./push_pull.ts";
 * const body = encodePushPull({ join: true, nodes: [], userState: new Uint8Array([9]) }).subarray(1);
 * const p = new PushPullParser();
 * console.assert(p.step(body.subarray(0, 3)) === null);
 * console.assert(p.step(body)?.userState[0] === 9);
 * ```
 */
export class PushPullParser {
  readonly #nodesMax: number;
  readonly #userStateMax: number;
  #header: PushPullHeader | null = null;
  #nodes: PushNodeState[] = [];
  #offset = 0;
  /** The header or node state being scanned (each value is walked once as bytes arrive). */
  #value: ScannedValue | null = null;

  constructor(limits: PushPullLimits = {}) {
    this.#nodesMax = limits.nodesMax ?? PUSH_PULL_NODES_MAX;
    this.#userStateMax = limits.userStateMaxBytes ?? USER_STATE_MAX_BYTES;
  }

  /** Bytes of the body consumed once complete. */
  get consumedBytes(): number {
    return this.#offset;
  }

  /**
   * Parses what has arrived; `null` means more bytes are needed. Throws {@linkcode DecodeError}
   * for malformed input or counts above the limits.
   */
  step(body: Uint8Array): PushPull | null {
    const header = this.#header ?? this.#readHeader(body);
    if (header === null) return null;
    while (this.#nodes.length < header.nodes) {
      this.#value ??= new ScannedValue(this.#offset);
      const node = this.#value.step(body, readPushNodeState);
      if (node === null) return null;
      this.#nodes.push(node.value);
      this.#offset = node.end;
      this.#value = null;
    }
    if (body.length - this.#offset < header.userStateLen) return null;
    const userState = body.slice(this.#offset, this.#offset + header.userStateLen);
    this.#offset += header.userStateLen;
    return { join: header.join, nodes: this.#nodes, userState };
  }

  #readHeader(body: Uint8Array): PushPullHeader | null {
    this.#value ??= new ScannedValue(this.#offset);
    const read = this.#value.step(body, readPushPullHeader);
    if (read === null) return null;
    this.#value = null;
    const header = read.value;
    if (header.nodes > this.#nodesMax) {
      throw new DecodeError(`Push/pull of ${header.nodes} nodes exceeds ${this.#nodesMax}`, {
        reason: "too-large",
      });
    }
    if (header.userStateLen > this.#userStateMax) {
      throw new DecodeError(
        `Push/pull user state of ${header.userStateLen} bytes exceeds ${this.#userStateMax}`,
        { reason: "too-large" },
      );
    }
    this.#header = header;
    this.#offset = read.end;
    return header;
  }
}

/** Runs a read; `null` when the input ended inside the value. */
export function tryRead<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (err instanceof MsgpackTruncatedError) return null;
    throw err;
  }
}

/**
 * Decodes a complete push/pull message (type byte included). Throws {@linkcode DecodeError}
 * (reason "truncated" when it ends early).
 *
 * @example
 * ```ts
 * import { decodePushPull, encodePushPull } from "./push_pull.ts";
 * const p = decodePushPull(encodePushPull({ join: true, nodes: [], userState: new Uint8Array() }));
 * console.assert(p.join);
 * ```
 */
export function decodePushPull(bytes: Uint8Array, limits: PushPullLimits = {}): PushPull {
  if (bytes[0] !== MessageType.PushPull) {
    throw new DecodeError(`Expected a push/pull, got type ${bytes[0]}`, { reason: "unknown-type" });
  }
  const p = new PushPullParser(limits).step(bytes.subarray(1));
  if (p === null) throw new DecodeError("Push/pull is truncated", { reason: "truncated" });
  return p;
}
