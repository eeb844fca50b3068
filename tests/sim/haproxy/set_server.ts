/**
 * `set server B/S state|health|weight ...` of the simulated HAProxy, with HAProxy's error texts.
 *
 * @module
 */

import { Reply } from "./add_server.ts";
import { WEIGHT_MAX } from "./model.ts";
import type { SimServer } from "./types.ts";

/**
 * Applies `set server <s> <w...>` to `s` at `nowMs`; true when its checks must be rescheduled.
 * Throws a {@linkcode Reply} for a bad state, weight or keyword.
 */
export function setServer(s: SimServer, w: readonly string[], nowMs: number): boolean {
  if (w[0] === "state") {
    const to = w[1];
    if (to !== "ready" && to !== "drain" && to !== "maint") {
      throw new Reply("'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
    }
    if (s.admin === "maint" && to !== "maint" && s.checkEnabled) {
      s.health = s.rise + s.fall - 1; // leaving maint is optimistic
    }
    if (s.admin !== to) s.lastChangeMs = nowMs;
    s.checkPaused = to === "maint" && s.checkEnabled && (s.checkPaused || s.admin !== "maint");
    s.admin = to;
    return s.checkEnabled;
  }
  if (w[0] === "health" && w[1] === "down") {
    if (s.checkEnabled) s.health = 0;
    return s.checkEnabled;
  }
  if (w[0] === "weight") {
    const n = Number(w[1]);
    if (!(Number.isInteger(n) && n >= 0 && n <= WEIGHT_MAX)) {
      throw new Reply("Absolute weight can only be between 0 and 256 inclusive.");
    }
    s.uweight = n;
    s.weighed = true;
    return false;
  }
  throw new Reply(`unsupported set server ${w.join(" ")}`);
}
