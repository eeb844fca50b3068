/**
 * shoal's serf layer: HashiCorp serf's membership, user events and queries on top of shoal's
 * memberlist (wire spec §7–§9), wire-compatible with serf 0.9/0.10 agents and the `serf` CLI.
 *
 * - {@linkcode Serf}: the instance. It is memberlist's delegate, event delegate and conflict
 *   delegate; give it to the gossip node, then {@linkcode Serf.attach} the node's handle.
 * - Events reach the application through {@linkcode Serf.subscribe}, typically into a bounded
 *   {@linkcode EventQueue} (overflow is dropped and counted).
 * - {@linkcode SnapshotFile} keeps serf's snapshot file; {@linkcode RpcServer} serves the agent
 *   RPC so every `serf` CLI command (`members`, `event`, `query`, `monitor`, `rtt` …) works
 *   against a shoal node.
 * - {@linkcode PingDelegate} runs serf's Vivaldi network coordinates on memberlist's ping acks.
 *
 * @example Standalone (no peers yet): tags, a user event and a query answered by ourselves
 * ```ts
 * import { EventQueue, Serf } from "./mod.ts";
 * import { seededPrng, systemClock } from "../clock.ts";
 * import { nullLogger } from "../log/logger.ts";
 * import { NodeState } from "../gossip/wire/messages.ts";
 * import type { GossipHandle, NodeInfo } from "../gossip/types.ts";
 *
 * const serf = new Serf(
 *   { nodeName: "task-1", tags: new Map([["role", "web"]]) },
 *   { clock: systemClock, prng: seededPrng(1), log: nullLogger },
 * );
 * // Normally: const node = createGossipNode({ delegate: serf, events: serf, conflict: serf, … });
 * // node.start(); serf.attach(node);
 * const self: NodeInfo = {
 *   name: "task-1", addr: Uint8Array.of(127, 0, 0, 1), host: "127.0.0.1", port: 7946,
 *   meta: serf.nodeMeta(512), incarnation: 1, state: NodeState.Alive,
 *   vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
 * };
 * const handle: GossipHandle = {
 *   localName: "task-1", localNode: () => self, members: () => [self], numActive: () => 1,
 *   sendUserPacket: () => {}, updateMeta: () => {}, join: () => Promise.resolve(0),
 *   leave: () => Promise.resolve(),
 * };
 * serf.attach(handle);
 *
 * const events = new EventQueue(64);
 * serf.subscribe((e) => events.push(e));
 * serf.subscribe((e) => {
 *   if (e.type === "query") e.respond(new TextEncoder().encode("pong"));
 * });
 * serf.userEvent("deploy", new TextEncoder().encode("v2"));
 * const result = await serf.query("ping", new Uint8Array(0)).done();
 * console.assert(result.responses[0]?.from === "task-1" && result.endedEarly);
 * console.assert(events.take().some((e) => e.type === "user" && e.name === "deploy"));
 * serf.shutdown();
 * ```
 *
 * @module
 */

import type { SerfKeyring } from "./internal_queries.ts";

export {
  Serf,
  type SerfDeps,
  type SerfListener,
  type SerfOptions,
  type SerfState,
  type SnapshotSink,
} from "./serf.ts";
export { DEFAULT_SERF_CONFIG, defaultQueryTimeoutMs, type SerfConfig } from "./config.ts";
export type { SerfCounters } from "./counters.ts";
export {
  LamportOverflowError,
  QueryResponseError,
  SerfDecodeError,
  SerfError,
  SerfStateError,
  SizeLimitError,
  SnapshotError,
} from "./errors.ts";
export { EventQueue, type QueryEvent, type SerfEvent, type UserEvent } from "./events.ts";
export {
  type Member,
  MEMBER_STATUS_NAMES,
  type MemberEvent,
  type MemberEventType,
  MemberStatus,
} from "./members.ts";
export type { QueryEngine, QueryParams } from "./queries.ts";
export type {
  CollectOutcome,
  QueryCollector,
  QueryResponseRecord,
  QueryResult,
} from "./query_collector.ts";
export type { Admission, QueryRing, UserEventRing } from "./rings.ts";
export type { PushPullMessage, RingEvent, UserEventsSlot } from "./push_pull.ts";
export {
  decodeRelay,
  decodeSerfMessage,
  encodeRelay,
  encodeSerfMessage,
  type JoinMessage,
  type LeaveMessage,
  type PushPullSerfMessage,
  QUERY_FLAG_ACK,
  QUERY_FLAG_NO_BROADCAST,
  type QueryMessage,
  type QueryResponseMessage,
  type RelayHeader,
  type SerfMessage,
  SerfMessageType,
  type UserEventMessage,
} from "./messages.ts";
export type { SerfLifecycle } from "./lifecycle.ts";
export { LamportClock } from "./lamport.ts";
export { decodeTags, encodeTags, type Tags } from "./tags.ts";
export type { SerfKeyring } from "./internal_queries.ts";
export {
  rejoinAddresses,
  replaySnapshot,
  restoreClocks,
  SnapshotRecorder,
  type SnapshotReplay,
} from "./snapshot.ts";
export { rejoinFromSnapshot, SnapshotFile, type SnapshotFileOptions } from "./snapshot_file.ts";
export {
  type Coordinate,
  DEFAULT_VIVALDI_CONFIG,
  distanceSeconds,
  newCoordinate,
  type VivaldiConfig,
} from "./coordinate/coordinate.ts";
export { CoordinateRejectedError, VivaldiClient } from "./coordinate/client.ts";
export { PingDelegate, type PingDelegateOptions } from "./coordinate/ping_delegate.ts";
export { RpcServer, type RpcServerOptions } from "./rpc/server.ts";
export { RpcSession, type RpcSessionOptions } from "./rpc/session.ts";
export { compileGoRegexp } from "./go_regexp.ts";

/** The key operations of memberlist's `Keyring` (lib/gossip/wire/keyring.ts). */
export interface KeyringLike {
  /** All keys, primary first. */
  readonly keys: readonly Uint8Array[];
  /** Adds a key. */
  addKey(key: Uint8Array): void;
  /** Makes a key primary. */
  useKey(key: Uint8Array): void;
  /** Removes a key. */
  removeKey(key: Uint8Array): void;
}

/** Lets serf's key queries operate on memberlist's keyring. */
export function serfKeyring(k: KeyringLike): SerfKeyring {
  return {
    install: (key) => k.addKey(key),
    use: (key) => k.useKey(key),
    remove: (key) => k.removeKey(key),
    keys: () => [...k.keys],
  };
}
