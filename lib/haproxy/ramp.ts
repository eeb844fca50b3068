/**
 * The stepped weight ramp for new servers (HSDO style), an alternative to HAProxy's `slowstart`.
 * Pure.
 *
 * @module
 */

/** Stepped weight ramp for new servers (HSDO style), as an alternative to `slowstart`. */
export interface RampOptions {
  /** Time from the first to the full weight. */
  readonly durationMs: number;
  /** Time between weight steps. */
  readonly stepMs: number;
  /** Weight at the start of the ramp. @default 1 */
  readonly weightMin?: number;
}

/**
 * The weight of a ramping server `elapsedMs` after it became ready: from `weightMin` up to
 * `weight` in steps of `stepMs` over `durationMs`.
 *
 * @example
 * ```ts
 * import { rampedWeight } from "./ramp.ts";
 * const ramp = { durationMs: 1000, stepMs: 250 };
 * console.assert(rampedWeight(9, 0, ramp) === 1 && rampedWeight(9, 1000, ramp) === 9);
 * ```
 */
export function rampedWeight(weight: number, elapsedMs: number, ramp: RampOptions): number {
  const weightMin = Math.min(weight, Math.max(1, ramp.weightMin ?? 1));
  if (elapsedMs >= ramp.durationMs || ramp.durationMs <= 0) return weight;
  const stepsTotal = Math.max(1, Math.ceil(ramp.durationMs / Math.max(1, ramp.stepMs)));
  const stepsDone = Math.floor(Math.max(0, elapsedMs) / Math.max(1, ramp.stepMs));
  const ramped = weightMin + Math.floor(((weight - weightMin) * stepsDone) / stepsTotal);
  return Math.min(weight, ramped);
}

/**
 * The weight to apply now: the full `weight` without a ramp, for weight 0, or for a server that
 * exists but has no ramp start (it was there before this process); otherwise the ramped weight,
 * starting now for a server about to be added.
 */
export function rampTargetWeight(
  weight: number,
  ramp: RampOptions | undefined,
  { startedMs, exists, nowMs }: { startedMs: number | undefined; exists: boolean; nowMs: number },
): number {
  if (!ramp || weight === 0) return weight;
  const started = startedMs ?? (exists ? undefined : nowMs);
  if (started === undefined) return weight;
  return rampedWeight(weight, nowMs - started, ramp);
}
