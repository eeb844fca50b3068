/**
 * The SWIM core's periodic loops (probe, gossip, push/pull) as directives, as
 * swift-cluster-membership's `onPeriodicPingTick()` returns `.scheduleNextTick`: the core keeps
 * no timer for them. Its `start()` and each of its ticks return a {@linkcode TimerDirective}
 * saying when that loop wants to tick next, and a {@linkcode LoopDriver}, owned by the shell,
 * turns the directives into timers on the injected clock and calls the tick back.
 *
 * @example
 * ```ts
 * import { LoopDriver, schedule, type TimerDirective } from "./loops.ts";
 * const timers: (() => void)[] = [];
 * const clock = { nowMs: () => 0, setTimer: (_ms: number, fn: () => void) => timers.push(fn),
 *   clearTimer: () => {} };
 * let ticks = 0;
 * const driver = new LoopDriver(clock, (timer): TimerDirective => {
 *   ticks++;
 *   return schedule(timer, 1000);
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

/** Tick loop `timer` once, `afterMs` from now, replacing any tick of it still pending. */
export interface ScheduleDirective {
  /** Discriminates the directive. */
  readonly kind: "schedule";
  /** The loop to tick. */
  readonly timer: LoopTimer;
  /** Milliseconds from now, on the core's clock. */
  readonly afterMs: number;
}

/** Do not tick loop `timer` again: the core has stopped, or the loop is off (interval 0). */
export interface HaltDirective {
  /** Discriminates the directive. */
  readonly kind: "halt";
  /** The loop to stop. */
  readonly timer: LoopTimer;
}

/** What the core asks of its loop timers. */
export type TimerDirective = ScheduleDirective | HaltDirective;

/** A {@linkcode ScheduleDirective}. */
export function schedule(timer: LoopTimer, afterMs: number): ScheduleDirective {
  return { kind: "schedule", timer, afterMs };
}

/** A {@linkcode HaltDirective}. */
export function halt(timer: LoopTimer): HaltDirective {
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

/** Runs one tick of loop `timer` and says when to run the next. */
export type Ticker = (timer: LoopTimer) => TimerDirective;

/** Executes {@linkcode TimerDirective}s with real timers on a clock; see the module docs. */
export class LoopDriver {
  readonly #clock: Clock;
  readonly #tick: Ticker;
  readonly #pending = new Map<LoopTimer, TimerId>();
  #stopped = false;

  /** A driver that calls `tick` when a scheduled loop timer fires. */
  constructor(clock: Clock, tick: Ticker) {
    this.#clock = clock;
    this.#tick = tick;
  }

  /** Carries out `directives` in order (nothing once stopped). */
  apply(directives: readonly TimerDirective[]): void {
    for (const d of directives) this.#apply(d);
  }

  /** Cancels every pending tick and ignores any later directive. Idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const id of this.#pending.values()) this.#clock.clearTimer(id);
    this.#pending.clear();
  }

  /** The loops with a tick pending, in the order they were last scheduled. */
  pending(): LoopTimer[] {
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
      if (!this.#stopped) this.#apply(this.#tick(d.timer));
    });
    this.#pending.set(d.timer, id);
  }
}
