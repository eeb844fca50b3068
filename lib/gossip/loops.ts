/**
 * The SWIM core's timers as directives, as swift-cluster-membership's `onPeriodicPingTick()`
 * returns `.scheduleNextTick`: the core keeps no timer and holds no `setTimer`. Its periodic
 * loops (probe, gossip, push/pull) return a {@linkcode TimerDirective} from `start()` and from
 * each tick saying when that loop ticks next; its one-shot timers (an ack's deadline, a probe's
 * switch to indirect pings, a suspicion's timeout) are emitted as `timer` effects. A
 * {@linkcode TimerDriver}, owned by the shell, turns the directives into timers on the injected
 * clock, in the order they come, and hands each firing back (`SwimCore.timerFired`).
 *
 * @example
 * ```ts
 * import { schedule, type TimerDirective, TimerDriver } from "./loops.ts";
 * const timers: (() => void)[] = [];
 * const clock = { nowMs: () => 0, setTimer: (_ms: number, fn: () => void) => timers.push(fn),
 *   clearTimer: () => {} };
 * let ticks = 0;
 * const driver = new TimerDriver(clock, (timer): TimerDirective | null => {
 *   ticks++;
 *   return timer === "probe" ? schedule(timer, 1000) : null;
 * });
 * driver.apply([schedule("probe", 10)]);
 * timers[0]!();
 * console.assert(ticks === 1 && driver.pending().join() === "probe");
 * ```
 *
 * @module
 */

import type { Clock, Prng, TimerId } from "../clock.ts";
import type { GossipConfig } from "./config.ts";
import { pushPullScaleMs } from "./swim_options.ts";

/** The core's periodic loops, each with at most one pending tick. */
export type LoopTimer = "probe" | "gossip" | "pushPull";

/**
 * The core's one-shot timers, named by what they guard: the deadline of the ack for a sequence
 * number (memberlist's ack handler timer), the probe of that sequence number turning to indirect
 * pings (its `ProbeTimeout`), and the suspicion of a node (its `suspicion.timer`).
 */
export type OneShotTimer = `ack:${number}` | `indirect:${number}` | `suspicion:${string}`;

/** Every timer the core asks its shell for; at most one of each is pending. */
export type CoreTimer = LoopTimer | OneShotTimer;

/** The ack deadline of sequence number `seqNo`. */
export function ackTimer(seqNo: number): OneShotTimer {
  return `ack:${seqNo}`;
}

/** When probe `seqNo` turns to indirect pings. */
export function indirectTimer(seqNo: number): OneShotTimer {
  return `indirect:${seqNo}`;
}

/** When the suspicion of `node` runs out. */
export function suspicionTimer(node: string): OneShotTimer {
  return `suspicion:${node}`;
}

/** Whether `timer` is one of the periodic loops. */
export function isLoopTimer(timer: CoreTimer): timer is LoopTimer {
  return timer === "probe" || timer === "gossip" || timer === "pushPull";
}

/** Fire `timer` once, `afterMs` from now, replacing any firing of it still pending. */
export interface ScheduleDirective {
  /** Discriminates the directive. */
  readonly kind: "schedule";
  /** The timer to fire. */
  readonly timer: CoreTimer;
  /** Milliseconds from now, on the core's clock. */
  readonly afterMs: number;
}

/**
 * Do not fire `timer` (again): for a loop, the core has stopped or the loop is off (interval 0);
 * for a one-shot timer, what it guarded is settled (the ack came, the probe ended, the suspicion
 * was refuted, confirmed dead or dropped).
 */
export interface HaltDirective {
  /** Discriminates the directive. */
  readonly kind: "halt";
  /** The timer to cancel. */
  readonly timer: CoreTimer;
}

/** What the core asks of its timers. */
export type TimerDirective = ScheduleDirective | HaltDirective;

/** Where a part of the core sends its timer directives (the core's effect sink, wrapped). */
export type TimerSink = (directive: TimerDirective) => void;

/** A {@linkcode ScheduleDirective}. */
export function schedule(timer: CoreTimer, afterMs: number): ScheduleDirective {
  return { kind: "schedule", timer, afterMs };
}

/** A {@linkcode HaltDirective}. */
export function halt(timer: CoreTimer): HaltDirective {
  return { kind: "halt", timer };
}

/** Loop `timer`'s interval in `config`; 0 or less turns the loop off. */
export function loopIntervalMs(config: GossipConfig, timer: LoopTimer): number {
  switch (timer) {
    case "probe":
      return config.probeIntervalMs;
    case "gossip":
      return config.gossipIntervalMs;
    case "pushPull":
      return config.pushPullIntervalMs;
  }
}

/**
 * When each loop ticks first: at a random stagger within its interval (memberlist's
 * `triggerFunc`), so nodes started together do not tick together; the push/pull within
 * `pushPullWithinMs` when given. A loop that is off gets a halt.
 */
export function firstTicks(
  config: GossipConfig,
  prng: Prng,
  pushPullWithinMs?: number,
): TimerDirective[] {
  return (["probe", "gossip", "pushPull"] as const).map((timer) => {
    const every = loopIntervalMs(config, timer);
    if (every <= 0) return halt(timer);
    const within = timer === "pushPull" ? pushPullWithinMs ?? every : every;
    return schedule(timer, Math.floor(prng() * within));
  });
}

/**
 * When loop `timer` ticks next, after a tick: one interval later, the push/pull's scaled up with
 * the `numNodes` in the table (memberlist's pushPullScale).
 */
export function nextTick(config: GossipConfig, timer: LoopTimer, numNodes: number): TimerDirective {
  const every = loopIntervalMs(config, timer);
  if (every <= 0) return halt(timer);
  return schedule(timer, timer === "pushPull" ? pushPullScaleMs(every, numNodes) : every);
}

/**
 * Runs what is due when `timer` fires; a loop's tick says when it runs next, a one-shot timer
 * returns `null` (whatever it sets meanwhile comes as effects).
 */
export type Ticker = (timer: CoreTimer) => TimerDirective | null;

/** Executes {@linkcode TimerDirective}s with real timers on a clock; see the module docs. */
export class TimerDriver {
  readonly #clock: Clock;
  readonly #tick: Ticker;
  readonly #pending = new Map<CoreTimer, TimerId>();
  #stopped = false;

  /** A driver that calls `tick` when a scheduled timer fires. */
  constructor(clock: Clock, tick: Ticker) {
    this.#clock = clock;
    this.#tick = tick;
  }

  /** Carries out `directives` in order (nothing once stopped). */
  apply(directives: readonly TimerDirective[]): void {
    for (const d of directives) this.#apply(d);
  }

  /** Cancels every pending timer and ignores any later directive. Idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const id of this.#pending.values()) this.#clock.clearTimer(id);
    this.#pending.clear();
  }

  /** The timers pending, in the order they were last scheduled. */
  pending(): CoreTimer[] {
    return [...this.#pending.keys()];
  }

  #apply(d: TimerDirective): void {
    if (this.#stopped) return;
    const old = this.#pending.get(d.timer);
    if (old !== undefined) this.#clock.clearTimer(old);
    this.#pending.delete(d.timer);
    if (d.kind === "halt") return;
    const id = this.#clock.setTimer(d.afterMs, () => {
      this.#pending.delete(d.timer);
      if (this.#stopped) return;
      const next = this.#tick(d.timer);
      if (next !== null) this.#apply(next);
    });
    this.#pending.set(d.timer, id);
  }
}
