/**
 * The settings of a {@linkcode SwimCore} (`swim_core.ts`), the state it exchanges in a push/pull,
 * and memberlist's push/pull interval scaling.
 *
 * @module
 */

import type { Clock, Prng } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { GossipConfig } from "./config.ts";
import type { EffectSink } from "./effects.ts";
import type { MemberObserver } from "./member_table.ts";
import type { Address, GossipDelegate } from "./types.ts";
import type { PushNodeState } from "./wire/messages.ts";

/** memberlist's pushPullScaleThreshold: above this many nodes the push/pull interval grows. */
const PUSH_PULL_SCALE_THRESHOLD = 32;

/** Options of {@linkcode SwimCore}. */
export interface SwimCoreOptions {
  readonly name: string;
  /** The address peers reach us at; its IP goes on the wire as 4 (IPv4) or 16 bytes. */
  readonly advertise: Address;
  readonly config: GossipConfig;
  readonly delegate: GossipDelegate;
  /** Read only: the core asks for timers with `timer` effects (see `loops.ts`). */
  readonly clock: Pick<Clock, "nowMs">;
  readonly prng: Prng;
  readonly emit: EffectSink;
  /** @default nullLogger */
  readonly logger?: Logger;
  /** Label and encryption overhead the shell adds to every packet. @default 0 */
  readonly packetOverheadBytes?: number;
  /** Sees every member state change (simulation invariants). */
  readonly observer?: MemberObserver;
  /**
   * memberlist's `AliveDelegate`: an alive for a name this refuses is ignored, by gossip and in a
   * push/pull alike, so the member never enters the table (suspect and dead messages about it are
   * then ignored as for any unknown name). Our own name is never asked. @default admit every name
   */
  readonly admit?: (node: string) => boolean;
  /**
   * The first periodic push/pull comes at a random time within this long after start. memberlist
   * uses the unscaled interval; a simulation of a cluster whose nodes started at different times
   * spreads it over the scaled period. @default config.pushPullIntervalMs
   */
  readonly firstPushPullWithinMs?: number;
}

/** Our node table and user state, as sent in a push/pull. */
export interface PushPullState {
  readonly nodes: PushNodeState[];
  readonly userState: Uint8Array;
}

/** memberlist's pushPullScale: the interval grows with log2(n) above 32 nodes. */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const mult = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return mult * intervalMs;
}
