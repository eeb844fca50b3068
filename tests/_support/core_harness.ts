/**
 * One {@linkcode SwimCore} on a {@linkcode VirtualClock} with its effects collected, for unit
 * tests of the sans-IO core (no network, no shell). The harness is the shell for the core's
 * timers: a {@linkcode TimerDriver} sets the directives on the virtual clock and hands each firing
 * back to `core.timerFired`; every directive is also recorded in `directives`.
 *
 * @module
 */

import { seededPrng } from "../../lib/clock.ts";
import { type GossipConfig, gossipConfig } from "../../lib/gossip/config.ts";
import type { GossipEffect } from "../../lib/gossip/effects.ts";
import { isLoopTimer, type TimerDirective, TimerDriver } from "../../lib/gossip/loops.ts";
import { SwimCore } from "../../lib/gossip/swim_core.ts";
import type { Address, GossipDelegate } from "../../lib/gossip/types.ts";
import {
  type Alive,
  decodeMessage,
  type Message,
  MessageType,
} from "../../lib/gossip/wire/messages.ts";
import { VirtualClock } from "./virtual_clock.ts";

/** A delegate with no user data: memberlist on its own. */
export function emptyDelegate(): GossipDelegate {
  return {
    nodeMeta: () => new Uint8Array(),
    notifyMsg: () => {},
    getBroadcasts: () => [],
    localState: () => new Uint8Array(),
    mergeRemoteState: () => {},
    ackPayload: () => null,
  };
}

/** A single {@linkcode SwimCore} on a virtual clock with its effects collected, for unit tests. */
export interface CoreHarness {
  readonly clock: VirtualClock;
  readonly core: SwimCore;
  /** Every effect but the timer directives. */
  readonly effects: GossipEffect[];
  /** Every timer directive the core emitted (not the loops' returned ones), in order. */
  readonly directives: TimerDirective[];
  /** An alive message for peer `i` (address 10.1.0.i:7946). */
  alive(i: number, incarnation: number, extra?: Partial<Alive>): Alive;
  /** Makes peers 1..count known and alive. */
  addPeers(count: number): void;
  /** Removes and returns the collected effects (optionally of one kind). */
  take<K extends GossipEffect["kind"]>(kind?: K): (GossipEffect & { kind: K })[];
  /** The decoded messages of every packet effect collected (removing them). */
  sentMessages(): { to: Address; msg: Message; crc: boolean }[];
}

/** Options of {@linkcode coreHarness}. */
export interface CoreHarnessOptions {
  readonly name?: string;
  readonly config?: GossipConfig;
  readonly delegate?: GossipDelegate;
  readonly seed?: number;
  /** Run the probe, gossip and push/pull loops (one-shot timers always run). @default false */
  readonly loops?: boolean;
  readonly firstPushPullWithinMs?: number;
  readonly admit?: (node: string) => boolean;
}

/** Builds and starts a {@linkcode CoreHarness} for node "self" at 10.1.0.100:7946. */
export function coreHarness(o: CoreHarnessOptions = {}): CoreHarness {
  const clock = new VirtualClock();
  const effects: GossipEffect[] = [];
  const directives: TimerDirective[] = [];
  const driver = new TimerDriver(clock, (timer) => core.timerFired(timer));
  /** Without the loops, a loop's directive (an idle gossip loop resuming) is recorded only. */
  const onTimer = (d: TimerDirective) => {
    directives.push(d);
    if (o.loops || !isLoopTimer(d.timer)) driver.apply([d]);
  };
  const core: SwimCore = new SwimCore({
    name: o.name ?? "self",
    advertise: { host: "10.1.0.100", port: 7946 },
    config: o.config ?? gossipConfig("lan"),
    delegate: o.delegate ?? emptyDelegate(),
    clock,
    prng: seededPrng(o.seed ?? 1),
    emit: (e) => e.kind === "timer" ? onTimer(e.directive) : void effects.push(e),
    ...(o.firstPushPullWithinMs ? { firstPushPullWithinMs: o.firstPushPullWithinMs } : {}),
    ...(o.admit ? { admit: o.admit } : {}),
  });
  if (o.loops) driver.apply(core.start());
  else core.announce();
  const alive = (i: number, incarnation: number, extra: Partial<Alive> = {}): Alive => ({
    type: MessageType.Alive,
    incarnation,
    node: `peer-${i}`,
    addr: Uint8Array.of(10, 1, 0, i),
    port: 7946,
    meta: new Uint8Array(),
    vsn: Uint8Array.from([1, 5, 2, 2, 5, 5]),
    ...extra,
  });
  const from = { host: "10.1.0.250", port: 7946 };
  return {
    clock,
    core,
    effects,
    directives,
    alive,
    addPeers(count) {
      for (let i = 1; i <= count; i++) core.onMessage(alive(i, 1), from);
    },
    take<K extends GossipEffect["kind"]>(kind?: K) {
      const out: GossipEffect[] = [];
      for (let i = effects.length - 1; i >= 0; i--) {
        if (kind === undefined || effects[i]!.kind === kind) out.unshift(...effects.splice(i, 1));
      }
      return out as (GossipEffect & { kind: K })[];
    },
    sentMessages() {
      return this.take("packet").flatMap((p) =>
        p.parts.map((part) => ({ to: p.to, msg: decodeMessage(part), crc: p.crc }))
      );
    },
  };
}
