/**
 * Health checks of the simulated HAProxy: one timer per server with checks enabled, `inter`
 * while UP and `downinter` while DOWN, rise/fall counting as HAProxy does (health counter from
 * 0 to rise+fall-1, UP at rise or above). Checks keep running in maintenance (as on 2.6) but
 * only change the operational state outside it.
 *
 * @module
 */

import type { Clock, TimerId } from "../../../lib/clock.ts";
import type { SimHaproxy, SimServer } from "./model.ts";

/** The check timers of one process. */
export class HealthChecks {
  readonly #clock: Clock;
  readonly #probe: (addr: string, port: number) => boolean;
  readonly #changed: (s: SimServer) => void;
  readonly #timers = new Map<SimServer, TimerId>();

  constructor(
    clock: Clock,
    probe: (addr: string, port: number) => boolean,
    changed: (s: SimServer) => void,
  ) {
    this.#clock = clock;
    this.#probe = probe;
    this.#changed = changed;
  }

  /** Starts checking `s` (first check after one interval). */
  start(s: SimServer, hap: SimHaproxy): void {
    this.reschedule(s, hap);
  }

  /** Re-arms the timer for the interval of `s`'s current state. */
  reschedule(s: SimServer, hap: SimHaproxy): void {
    if (!s.checkEnabled) return;
    this.stop(s);
    const interval = hap.isUp(s) || s.admin === "maint" ? s.interMs : s.downinterMs;
    this.#timers.set(s, this.#clock.setTimer(interval, () => this.#check(s, hap)));
  }

  /** Stops checking `s`. */
  stop(s: SimServer): void {
    const t = this.#timers.get(s);
    if (t !== undefined) this.#clock.clearTimer(t);
    this.#timers.delete(s);
  }

  /** Stops every check (the process is gone). */
  stopAll(): void {
    for (const t of this.#timers.values()) this.#clock.clearTimer(t);
    this.#timers.clear();
  }

  #check(s: SimServer, hap: SimHaproxy): void {
    this.#timers.delete(s);
    const wasUp = hap.isUp(s);
    const ok = this.#probe(s.addr, s.port);
    s.lastCheck = ok;
    const top = s.rise + s.fall - 1;
    if (ok) {
      if (s.health < top) s.health++;
      if (s.health === s.rise && !wasUp) s.health = top;
    } else if (s.health >= s.rise) {
      s.health--;
      if (s.health < s.rise) s.health = 0;
    } else {
      s.health = 0;
    }
    if (hap.isUp(s) !== wasUp) this.#changed(s);
    this.reschedule(s, hap);
  }
}
