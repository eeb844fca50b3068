/**
 * The settings and injected dependencies of a {@linkcode Serf} (`serf.ts`), its state, and the
 * receivers of its events and snapshot records.
 *
 * @module
 */

import type { Clock, Prng } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { SerfConfig } from "./config.ts";
import type { SerfEvent } from "./events.ts";
import type { SerfKeyring } from "./internal_queries.ts";
import type { MemberEvent } from "./members.ts";

/** Serf's own state. */
export type SerfState = "alive" | "leaving" | "left" | "shutdown";

/** Receives what a snapshot file records (see `snapshot.ts`). */
export interface SnapshotSink {
  /** A member joined, left, failed, was updated or reaped. */
  memberEvent(e: MemberEvent): void;
  /** A user event at `lTime` was delivered. */
  userEventClock(lTime: number): void;
  /** A query at `lTime` was delivered. */
  queryClock(lTime: number): void;
  /** We are leaving gracefully (fsync now). */
  leave(): void;
}

/** Options of {@linkcode Serf}. */
export interface SerfOptions {
  /** Our node name; must equal the memberlist node's name. */
  readonly nodeName: string;
  /** @default no tags */
  readonly tags?: ReadonlyMap<string, string>;
  /** Overrides of {@linkcode DEFAULT_SERF_CONFIG}. */
  readonly config?: Partial<SerfConfig>;
  /** The gossip keyring when encryption is on; key queries fail politely without it. */
  readonly keyring?: SerfKeyring;
  /** Where membership and clock changes are recorded. */
  readonly snapshot?: SnapshotSink;
  /** Called once when serf shuts itself down (lost a name conflict). */
  readonly onShutdown?: (reason: string) => void;
}

/** Injected time, randomness and logging. */
export interface SerfDeps {
  /** Time and timers. */
  readonly clock: Clock;
  /** Randomness (query IDs, relay and reconnect choices). */
  readonly prng: Prng;
  /** Where serf logs. */
  readonly log: Logger;
}

/** Receives every event, synchronously. */
export type SerfListener = (e: SerfEvent) => void;

/** What {@linkcode Serf.stats} reports. */
export interface SerfStats {
  readonly memberTime: number;
  readonly eventTime: number;
  readonly queryTime: number;
  readonly intentQueue: number;
  readonly eventQueue: number;
  readonly queryQueue: number;
}
