/**
 * Rise/fall hysteresis for health checks (HAProxy's `rise`/`fall`). Pure.
 *
 * @module
 */

/** Options for {@linkcode HealthTracker}. */
export interface HealthTrackerOptions {
  /**
   * Consecutive successes that turn an unhealthy worker healthy.
   * @default {2}
   */
  rise?: number;
  /**
   * Consecutive failures that turn a healthy worker unhealthy.
   * @default {3}
   */
  fall?: number;
  /**
   * The state before any check (a worker that just became ready counts as healthy).
   * @default {true}
   */
  initiallyHealthy?: boolean;
}

/**
 * Counts consecutive results and reports transitions.
 *
 * @example
 * ```ts
 * import { HealthTracker } from "./health.ts";
 * const t = new HealthTracker({ rise: 1, fall: 2 });
 * console.assert(t.observe(false) === undefined);
 * console.assert(t.observe(false) === "unhealthy");
 * console.assert(t.observe(true) === "healthy");
 * ```
 */
export class HealthTracker {
  readonly rise: number;
  readonly fall: number;
  #healthy: boolean;
  #streak = 0;

  constructor(options: HealthTrackerOptions = {}) {
    this.rise = options.rise ?? 2;
    this.fall = options.fall ?? 3;
    if (!(this.rise >= 1 && this.fall >= 1)) throw new RangeError("rise and fall must be ≥ 1");
    this.#healthy = options.initiallyHealthy ?? true;
  }

  /** The current state. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Records one check result; returns the new state when it changed. */
  observe(ok: boolean): "healthy" | "unhealthy" | undefined {
    if (ok === this.#healthy) {
      this.#streak = 0;
      return undefined;
    }
    this.#streak++;
    if (this.#streak < (ok ? this.rise : this.fall)) return undefined;
    this.#healthy = ok;
    this.#streak = 0;
    return ok ? "healthy" : "unhealthy";
  }
}
