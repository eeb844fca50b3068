/**
 * The gossip layer: a memberlist-compatible SWIM + Lifeguard node. The sans-IO core
 * ({@linkcode SwimCore}) decides; the shell ({@linkcode GossipNode}, built by
 * {@linkcode createGossipNode}) runs it over a {@linkcode Transport} and a clock and implements the
 * {@linkcode GossipHandle} the serf layer rides on. The core holds no timer: it returns
 * {@linkcode TimerDirective}s that the shell's {@linkcode TimerDriver} carries out.
 * {@linkcode TransmitLimitedQueue} is exported for serf's own broadcast queues.
 *
 * @example
 * ```ts ignore
 * import { createGossipNode, gossipConfig } from "./mod.ts";
 * const node = createGossipNode({ name: "a", transport, config: gossipConfig("lan"), delegate,
 *   clock, prng });
 * node.start();
 * await node.join(["127.0.0.1:7946"]);
 * ```
 *
 * @module
 */

export * from "./types.ts";
export {
  type GossipConfig,
  gossipConfig,
  GossipConfigError,
  type GossipProfile,
  LAN_CONFIG,
  LOCAL_CONFIG,
  vsnOf,
  WAN_CONFIG,
} from "./config.ts";
export {
  type Broadcast,
  retransmitLimit,
  TransmitLimitedQueue,
  type TransmitLimitedQueueOptions,
} from "./broadcast_queue.ts";
export { Awareness } from "./awareness.ts";
export {
  Suspicion,
  type SuspicionBounds,
  suspicionBounds,
  suspicionTimeoutAfterMs,
  suspicionTimeoutMs,
} from "./suspicion.ts";
export type { CoreCounters, EffectSink, GossipEffect } from "./effects.ts";
export type { Member, MemberObserver } from "./member_table.ts";
export {
  pushPullScaleMs,
  type PushPullState,
  SwimCore,
  type SwimCoreOptions,
} from "./swim_core.ts";
export {
  type CoreTimer,
  halt,
  type HaltDirective,
  type LoopTimer,
  type OneShotTimer,
  schedule,
  type ScheduleDirective,
  type Ticker,
  type TimerDirective,
  TimerDriver,
} from "./loops.ts";
export { ProtocolVersionError } from "./version_check.ts";
export { createGossipNode, GossipNode, type GossipNodeOptions } from "./node.ts";
export type { GossipMetrics, ShellCounters } from "./metrics.ts";
export { StreamExchangeError } from "./streams.ts";
export {
  AddressParseError,
  formatAddress,
  hostFromIp,
  ipFromHost,
  isIpLiteral,
  type JoinTarget,
  parseJoinTarget,
} from "./address.ts";
