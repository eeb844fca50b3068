/**
 * Lifeguard suspicion timeouts (wire spec §6.4): a suspicion starts at the upper timeout and each
 * new independent accuser shrinks it logarithmically towards the lower one.
 *
 * The arithmetic mirrors memberlist to the millisecond: the node-count scale is truncated to
 * thousandths, the remaining time is floored to whole milliseconds.
 *
 * @example
 * ```ts
 * import { suspicionBounds } from "./suspicion.ts";
 * const b = suspicionBounds({ suspicionMult: 4, suspicionMaxTimeoutMult: 6, probeIntervalMs: 1000 }, 5);
 * console.assert(b.minMs === 4000 && b.maxMs === 24000 && b.k === 2);
 * ```
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import { halt, schedule, suspicionTimer, type TimerSink } from "./loops.ts";

/** The lower and upper timeout and the expected confirmations for one suspicion. */
export interface SuspicionBounds {
  readonly minMs: number;
  readonly maxMs: number;
  /** Independent confirmations expected (0 disables acceleration). */
  readonly k: number;
}

/** The config fields the timeout depends on. */
export interface SuspicionParams {
  readonly suspicionMult: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly probeIntervalMs: number;
}

/** memberlist's `suspicionTimeout`: mult × max(1, log10(max(1, n))) × interval, scale in 1/1000. */
export function suspicionTimeoutMs(
  suspicionMult: number,
  n: number,
  probeIntervalMs: number,
): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  const scaleMilli = Math.trunc(nodeScale * 1000);
  return Math.trunc((suspicionMult * scaleMilli * probeIntervalMs) / 1000);
}

/** Bounds for a suspicion raised when the table holds `n` nodes (self and dead included). */
export function suspicionBounds(p: SuspicionParams, n: number): SuspicionBounds {
  let k = p.suspicionMult - 2;
  if (n - 2 < k) k = 0;
  const minMs = suspicionTimeoutMs(p.suspicionMult, n, p.probeIntervalMs);
  return { minMs, maxMs: p.suspicionMaxTimeoutMult * minMs, k: Math.max(0, k) };
}

/**
 * The total timeout after `confirmations` of `k` (memberlist's `remainingSuspicionTime` before the
 * elapsed time is subtracted): max − ln(c+1)/ln(k+1) × (max − min), floored to ms, at least min.
 */
export function suspicionTimeoutAfterMs(b: SuspicionBounds, confirmations: number): number {
  if (b.k < 1) return b.minMs;
  const frac = Math.log(confirmations + 1) / Math.log(b.k + 1);
  const raw = b.maxMs / 1000 - frac * ((b.maxMs - b.minMs) / 1000);
  const timeoutMs = Math.floor(1000 * raw);
  return Math.max(b.minMs, timeoutMs);
}

/**
 * One running suspicion of one node: who accused it and when it started. Pure: the caller owns
 * the timer and re-arms it with {@linkcode Suspicion.confirm}'s answer.
 */
export class Suspicion {
  readonly bounds: SuspicionBounds;
  readonly startMs: number;
  readonly #accusers = new Set<string>();
  #confirmations = 0;

  /** `from` is the first accuser; it never counts as a confirmation. */
  constructor(bounds: SuspicionBounds, from: string, startMs: number) {
    this.bounds = bounds;
    this.startMs = startMs;
    this.#accusers.add(from);
  }

  /** Confirmations counted so far (at most k). */
  get confirmations(): number {
    return this.#confirmations;
  }

  /** The timeout to arm first: max when confirmations are expected, else min. */
  initialTimeoutMs(): number {
    return this.bounds.k < 1 ? this.bounds.minMs : this.bounds.maxMs;
  }

  /**
   * Counts `from` as a new independent accuser. Returns `null` when it was not new (or k is
   * reached): nothing changes and nothing is re-gossiped. Otherwise returns the time left from
   * `nowMs`, which may be ≤ 0 (declare dead now).
   */
  confirm(from: string, nowMs: number): number | null {
    if (this.#confirmations >= this.bounds.k) return null;
    if (this.#accusers.has(from)) return null;
    this.#accusers.add(from);
    this.#confirmations++;
    const total = suspicionTimeoutAfterMs(this.bounds, this.#confirmations);
    return total - (nowMs - this.startMs);
  }
}

/** Called when a suspicion runs out: `name` should now be declared dead. */
export type SuspicionExpired = (name: string) => void;

/** What the running suspicions need: the time, where their timers go, and who hears of expiry. */
export interface SuspicionTimersDeps {
  readonly clock: Pick<Clock, "nowMs">;
  /** Where the `suspicion:<name>` directives go (the core's effect sink). */
  readonly timers: TimerSink;
  readonly onExpired: SuspicionExpired;
}

/**
 * The running suspicions of one node: at most one per member, so bounded by the node table. Holds
 * no timer: each suspicion's timeout is asked of the shell as a `suspicion:<name>` directive,
 * re-asked (replacing it) when a confirmation shortens it, as memberlist's `Confirm` stops and
 * resets its `time.AfterFunc`, and comes back through {@linkcode SuspicionTimers.expired}.
 */
export class SuspicionTimers {
  readonly #d: SuspicionTimersDeps;
  readonly #running = new Map<string, Suspicion>();

  constructor(deps: SuspicionTimersDeps) {
    this.#d = deps;
  }

  /** Suspicions running. */
  get size(): number {
    return this.#running.size;
  }

  /** Whether `name` is under suspicion. */
  has(name: string): boolean {
    return this.#running.has(name);
  }

  /** Starts suspecting `name` on `from`'s word, asking for the initial timeout. */
  start(name: string, bounds: SuspicionBounds, from: string): void {
    this.clear(name);
    const suspicion = new Suspicion(bounds, from, this.#d.clock.nowMs());
    this.#d.timers(schedule(suspicionTimer(name), suspicion.initialTimeoutMs()));
    this.#running.set(name, suspicion);
  }

  /**
   * Counts `from` as confirming the running suspicion of `name` and asks for the shortened
   * timeout in place of the pending one (at once when it has already passed). Returns true when
   * it was a new confirmation (memberlist then re-gossips it).
   */
  confirm(name: string, from: string): boolean {
    const s = this.#running.get(name);
    if (!s) return false;
    const leftMs = s.confirm(from, this.#d.clock.nowMs());
    if (leftMs === null) return false;
    this.#d.timers(schedule(suspicionTimer(name), Math.max(0, leftMs)));
    return true;
  }

  /** Stops suspecting `name` (it refuted, died or left), cancelling its timeout. */
  clear(name: string): void {
    if (!this.#running.delete(name)) return;
    this.#d.timers(halt(suspicionTimer(name)));
  }

  /** Stops every suspicion. */
  clearAll(): void {
    for (const name of [...this.#running.keys()]) this.clear(name);
  }

  /** The timeout of `name`'s suspicion passed (the shell's timer fired): it expires. */
  expired(name: string): void {
    if (!this.#running.delete(name)) return;
    this.#d.onExpired(name);
  }
}
