/**
 * HAProxy's `slowstart` as the simulated HAProxy applies it, checked against real 2.6 and 3.2 by
 * the contract's slowstart script. A server that comes UP (leaves maintenance, or passes its
 * checks after being DOWN) ramps its effective weight: HAProxy recomputes it every
 * `max(1 s, slowstart / 20)`, from the whole seconds since the change `e` and the slowstart in
 * whole seconds `ss`, as `ceil(uweight * floor((16 e + ss) / ss) / 16)` until `e >= ss`
 * (`BE_WEIGHT_SCALE` is 16). Drain and back keeps the ramp going; maintenance or DOWN restarts it.
 * So with `weight 100 slowstart 3s`: 7, then 38 after 1 s, 69 after 2 s, 100 after 3 s.
 *
 * @module
 */

import type { SimServer } from "./model.ts";

/** HAProxy's `BE_WEIGHT_SCALE`: the ramp's steps are in 16ths of the user weight. */
const WEIGHT_SCALE = 16;

/** The effective weight of `s` at `nowMs` (its user weight when not ramping). */
export function effectiveWeight(s: SimServer, nowMs: number): number {
  if (s.slowstartMs <= 0 || s.rampFromMs === undefined) return s.uweight;
  const ss = Math.ceil(s.slowstartMs / 1000);
  const stepMs = Math.max(1000, (ss * 1000) / 20);
  const steps = Math.floor(Math.max(0, nowMs - s.rampFromMs) / stepMs);
  const elapsed = Math.floor((steps * stepMs) / 1000);
  if (elapsed >= ss) return s.uweight;
  const w = Math.floor((WEIGHT_SCALE * elapsed + ss) / ss);
  return Math.ceil((s.uweight * w) / WEIGHT_SCALE);
}

/**
 * Notes a state change of `s`: the ramp starts when it comes UP (`up` now, not before) and is
 * forgotten while it is DOWN or in maintenance.
 */
export function noteUp(s: SimServer, up: boolean, nowMs: number): void {
  if (!up) s.rampFromMs = undefined;
  else {
    s.rampFromMs ??= nowMs;
    s.weighed = true;
  }
}
