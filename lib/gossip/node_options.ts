/**
 * The settings of a {@linkcode GossipNode} (`node.ts`).
 *
 * @module
 */

import type { Clock, Prng } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { GossipConfig } from "./config.ts";
import type { MemberObserver } from "./membership.ts";
import type {
  Address,
  GossipConflictDelegate,
  GossipDelegate,
  GossipEventDelegate,
  Transport,
} from "./types.ts";
import type { Keyring } from "./wire/mod.ts";

/** Options of {@linkcode createGossipNode}. */
export interface GossipNodeOptions {
  readonly name: string;
  readonly transport: Transport;
  /** Where peers reach us. @default transport.bindAddress */
  readonly advertise?: Address;
  readonly config: GossipConfig;
  readonly delegate: GossipDelegate;
  readonly events?: GossipEventDelegate;
  readonly conflict?: GossipConflictDelegate;
  /** Encrypt everything and refuse plaintext. */
  readonly keyring?: Keyring;
  /** memberlist label; "" for none. @default "" */
  readonly label?: string;
  readonly clock: Clock;
  readonly prng: Prng;
  /** @default nullLogger */
  readonly logger?: Logger;
  /**
   * Resolves a DNS name given to {@linkcode GossipNode.join} to IP literals (the composition root
   * passes one on `Deno.resolveDns`). Without it, join targets must be IP literals.
   */
  readonly resolveHost?: (name: string) => Promise<string[]>;
  /** Sees every member state change; for simulation invariants. */
  readonly observer?: MemberObserver;
  /** Which names may enter the table (see `SwimCoreOptions.admit`). */
  readonly admit?: (node: string) => boolean;
  /** The first push/pull comes within this long after start (see `SwimCoreOptions`). */
  readonly firstPushPullWithinMs?: number;
}
