/**
 * Rate limiting for the log lines of endless waits (HAProxy not answering, nobody to join): the
 * first is written at its level, then at most one per interval, each saying how many were left
 * out; the attempts in between go to `debug`, so `--log-level debug` still shows every one.
 *
 * @module
 */

import type { LogLevel } from "./logger.ts";

/** Default spacing of throttled lines. */
export const THROTTLE_INTERVAL_MS = 60_000;

/**
 * Decides which lines of a repeating event are written.
 *
 * @example
 * ```ts
 * import { LogThrottle } from "./throttle.ts";
 * const t = new LogThrottle(1000);
 * console.assert(t.take(0).log && !t.take(500).log);
 * const later = t.take(1200);
 * console.assert(later.log && later.suppressed === 1);
 * ```
 */
export class LogThrottle {
  readonly #intervalMs: number;
  #lastMs: number | undefined;
  #suppressed = 0;

  constructor(intervalMs = THROTTLE_INTERVAL_MS) {
    this.#intervalMs = intervalMs;
  }

  /**
   * True for the first call and then at most once per interval; `suppressed` counts the calls left
   * out since the last line written.
   */
  take(nowMs: number): { log: boolean; suppressed: number } {
    if (this.#lastMs !== undefined && nowMs - this.#lastMs < this.#intervalMs) {
      this.#suppressed++;
      return { log: false, suppressed: this.#suppressed };
    }
    const suppressed = this.#suppressed;
    this.#lastMs = nowMs;
    this.#suppressed = 0;
    return { log: true, suppressed };
  }

  /** The level for this attempt's line: `level` when {@linkcode take} lets it through, else debug. */
  level(nowMs: number, level: LogLevel): { level: LogLevel; suppressed: number } {
    const { log, suppressed } = this.take(nowMs);
    return { level: log ? level : "debug", suppressed };
  }
}
