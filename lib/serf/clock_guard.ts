/**
 * The receive-side check of remote Lamport times (issue 13): a value too far ahead of our clock,
 * or above the ceiling, is refused, counted and logged; it is never witnessed, so one forged
 * message cannot move a clock to the end of its range (see `LTIME_AHEAD_MAX` in `lamport.ts`).
 *
 * @example
 * ```ts
 * import { admitLTime } from "./clock_guard.ts";
 * import { LamportClock } from "./lamport.ts";
 * import { newCounters } from "./counters.ts";
 * const host = { counters: newCounters(), log: { debug() {} } };
 * console.assert(!admitLTime(host, new LamportClock(), 2 ** 53 - 2, "event"));
 * console.assert(host.counters.lTimesRefused === 1);
 * ```
 *
 * @module
 */

import type { SerfCounters } from "./counters.ts";
import { admissibleLTime, type LamportClock } from "./lamport.ts";

/** What the check needs: counters and a debug log. */
export interface ClockGuardHost {
  readonly counters: SerfCounters;
  readonly log: { debug(event: string, fields: Record<string, unknown>): void };
}

/** True when `clock` may witness the remote `v`; otherwise counts and logs the refusal. */
export function admitLTime(
  h: ClockGuardHost,
  clock: LamportClock,
  v: number,
  what: string,
): boolean {
  if (admissibleLTime(clock.time(), v)) return true;
  h.counters.lTimesRefused++;
  h.log.debug("serf.lamport.refused", { what, lTime: v, local: clock.time() });
  return false;
}
