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
  /**
   * How many broadcasts wait in the delegate's queues. With it, the gossip loop stops ticking
   * while nothing at all waits to be sent (a round would send nothing, as memberlist's does) and
   * resumes at {@linkcode GossipHandle.broadcastQueued}; without it the loop ticks always.
   */
  pendingBroadcasts?(): number;
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

/**
 * A byte stream between two nodes (one TCP connection). Same shape as the read/write half of a
 * `Deno.Conn`, so the real transport can pass its connections through.
 */
export interface StreamConn {
  readonly remote: Address;
  /** Reads into `buf`; resolves to the byte count, or `null` at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes all of `bytes` (looping over partial writes). */
  writeAll(bytes: Uint8Array): Promise<void>;
  /** Closes both directions; idempotent. */
  close(): void;
}

/** What a {@linkcode Transport} delivers to its owner. */
export interface TransportHandlers {
  /** A datagram arrived. `bytes` may be a view into a reused buffer: copy before keeping it. */
  onPacket(bytes: Uint8Array, from: Address, receivedAtMs: number): void;
  /** A peer opened a stream to us. The owner must close it. */
  onStream(conn: StreamConn): void;
}

/**
 * Moves gossip bytes: unreliable datagrams and reliable streams on one port, as memberlist's
 * `Transport`. Implemented on Deno UDP/TCP and by the simulated network in tests.
 */
export interface Transport {
  /** The address actually bound (port resolved when 0 was asked for). */
  readonly bindAddress: Address;
  /** Starts delivering to `handlers`. Called once. */
  start(handlers: TransportHandlers): void;
  /** Sends one datagram; failures are counted and dropped, never thrown. */
  sendPacket(bytes: Uint8Array, to: Address): void;
  /** Opens a stream; rejects on refusal or after `timeoutMs`. */
  dialStream(to: Address, timeoutMs: number): Promise<StreamConn>;
  /** Stops receiving and releases the sockets. */
  close(): Promise<void>;
}

/**
 * What the serf layer needs from the memberlist node it rides on. The memberlist implementation
 * (core + shell) provides this; serf never touches packets or sockets itself.
 */
export interface GossipHandle {
  /** Our node name. */
  readonly localName: string;
  /** Our own node as peers see it. */
  localNode(): NodeInfo;
  /** Every node in the table (alive, suspect, dead and left not yet reclaimed), self included. */
  members(): NodeInfo[];
  /** Alive + suspect nodes, self included (serf's estimate of cluster size). */
  numActive(): number;
  /** memberlist's awareness (Lifeguard health) score; 0 is healthy. */
  healthScore?(): number;
  /** Sends `[0x08][payload]` to `to` as a direct datagram (serf query responses, relays). */
  sendUserPacket(to: Address, payload: Uint8Array): void;
  /** Re-reads the delegate's metadata and broadcasts an alive with a higher incarnation. */
  updateMeta(): void;
  /** Push/pull joins `addrs` (`host:port`, `name/host:port`); resolves to the number that worked. */
  join(addrs: readonly string[]): Promise<number>;
  /** Broadcasts our leave and waits until it is sent or `timeoutMs` passes. */
  leave(timeoutMs: number): Promise<void>;
  /** The delegate queued a broadcast: an idle gossip loop resumes (see `pendingBroadcasts`). */
  broadcastQueued?(): void;
}
