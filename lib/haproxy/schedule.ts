/**
 * When the reconciler should look again after a pass. Pure.
 *
 * @module
 */

import type { Plan } from "./plan.ts";

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
