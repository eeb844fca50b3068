/**
 * Types shared by the gossip core, its shells and the serf layer above it: addresses, the public
 * view of a node, and the delegate interfaces through which serf rides on memberlist (wire spec §0).
 *
 * All delegate methods are synchronous: the core is sans-IO, and a delegate that wants to send
 * something does it through the core's methods, which queue effects for the shell.
 *
 * @module
 */

import type { NodeState } from "./wire/messages.ts";

/** A UDP/TCP endpoint. `host` is an IP literal (IPv6 without brackets). */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** What the core tells the outside world about a member. */
export interface NodeInfo {
  readonly name: string;
  /** The advertised IP as sent on the wire (4 bytes for IPv4, 16 for IPv6). */
  readonly addr: Uint8Array;
  /** `addr` as an IP literal, v4-mapped addresses normalised to IPv4. */
  readonly host: string;
  readonly port: number;
  readonly meta: Uint8Array;
  readonly incarnation: number;
  readonly state: NodeState;
  /** pmin, pmax, pcur, dmin, dmax, dcur. */
  readonly vsn: Uint8Array;
}

/**
 * The application delegate (serf): node metadata, user messages, broadcasts, push/pull state and
 * ack payloads. Mirrors memberlist's `Delegate`.
 */
export interface GossipDelegate {
  /** Metadata for our alive messages; at most `limitBytes` (512) long. */
  nodeMeta(limitBytes: number): Uint8Array;
  /** A user message (`[0x08]` payload, type byte stripped) arrived from `from`. */
  notifyMsg(payload: Uint8Array, from: Address): void;
  /**
   * Broadcasts to piggyback: encoded user payloads (without the `0x08` byte), each costing
   * `overheadBytes` more on the wire, all together within `limitBytes`.
   */
  getBroadcasts(overheadBytes: number, limitBytes: number): Uint8Array[];
  /** Our user state for a push/pull. */
  localState(join: boolean): Uint8Array;
  /** A peer's user state from a push/pull. */
  mergeRemoteState(state: Uint8Array, join: boolean): void;
  /** Payload for acks we send (serf: a coordinate); `null` for none. */
  ackPayload(): Uint8Array | null;
  /** An ack for one of our probes arrived, `rttMs` after the ping. */
  notifyPingComplete?(node: NodeInfo, rttMs: number, payload: Uint8Array | null): void;
}

/** Membership changes, as memberlist's `EventDelegate`. */
export interface GossipEventDelegate {
  notifyJoin(node: NodeInfo): void;
  /** Dead or left; `node.state` says which. */
  notifyLeave(node: NodeInfo): void;
  /** Metadata (or address, after a permitted change) updated. */
  notifyUpdate(node: NodeInfo): void;
}

/** Called when an alive message claims a known name at another address. */
export interface GossipConflictDelegate {
  notifyConflict(existing: NodeInfo, other: NodeInfo): void;
}
