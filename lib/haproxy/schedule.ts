/**
 * When the reconciler should look again after a pass (pure), and the one timer that runs it.
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import type { Plan } from "./plan.ts";

/** Longest wait between passes while HAProxy keeps failing (the retry delay doubles up to it). */
export const RETRY_DELAY_MAX_MS = 5000;

/** The delays that {@linkcode nextPassDelayMs} chooses from. */
export interface PassDelays {
  /** Nothing to do: the periodic pass. */
  readonly periodMs: number;
  /** Something changed or failed: confirm or retry soon. */
  readonly retryMs: number;
  /** A drain is waiting for sessions to end, or a drained server for its delete. */
  readonly drainPollMs: number;
  /** A stepped ramp is in progress. */
  readonly rampStepMs?: number;
}

/**
 * The delay before the next pass: the shortest of the reasons that apply.
 *
 * @example
 * ```ts
 * import { nextPassDelayMs } from "./schedule.ts";
 * const idle = { steps: [], waiting: [], ramping: 0 };
 * console.assert(nextPassDelayMs(idle, false, { periodMs: 2000, retryMs: 250, drainPollMs: 200 }) === 2000);
 * ```
 */
export function nextPassDelayMs(plan: Plan, failed: boolean, delays: PassDelays): number {
  let delayMs = delays.periodMs;
  if (failed || plan.steps.length > 0) delayMs = Math.min(delayMs, delays.retryMs);
  const draining = plan.waiting.length > 0 ||
    plan.steps.some((s) => s.kind === "drain" || s.kind === "maint");
  if (draining) delayMs = Math.min(delayMs, delays.drainPollMs);
  if (plan.ramping > 0 && delays.rampStepMs !== undefined) {
    delayMs = Math.min(delayMs, delays.rampStepMs);
  }
  return delayMs;
}

/**
 * The delay after the `failures`-th failed pass in a row: `retryMs` doubling each time, at most
 * {@linkcode RETRY_DELAY_MAX_MS}.
 *
 * @example
 * ```ts
 * import { failedPassDelayMs } from "./schedule.ts";
 * console.assert(failedPassDelayMs(100, 3) === 400);
 * ```
 */
export function failedPassDelayMs(retryMs: number, failures: number): number {
  return Math.min(retryMs * 2 ** Math.min(failures - 1, 16), RETRY_DELAY_MAX_MS);
}

/** One timer for the next pass: a new request only ever brings it forward. */
export class PassTimer {
  readonly #clock: Clock;
  readonly #fire: () => void;
  #timer: TimerId | undefined;
  #dueMs = Infinity;

  /** Creates the timer; `fire` runs when it is due. */
  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Fires in `delayMs`, unless the timer is already due sooner. */
  schedule(delayMs: number): void {
    const dueMs = this.#clock.nowMs() + delayMs;
    if (this.#timer !== undefined && this.#dueMs <= dueMs) return;
    this.clear();
    this.#dueMs = dueMs;
    this.#timer = this.#clock.setTimer(delayMs, () => {
      this.#timer = undefined;
      this.#dueMs = Infinity;
      this.#fire();
    });
  }

  /** Cancels the pending firing, if any. */
  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#dueMs = Infinity;
  }
}
