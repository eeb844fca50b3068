/**
 * The announce loop: runs one `announce` round, and while no sidecar accepted (none in the
 * cluster yet, or all refused) retries with backoff until one accepts or the loop is stopped.
 * A {@linkcode Announcer.kick} (state change, a sidecar joined) coalesces into one fresh round.
 *
 * An accept that names no server comes from a sidecar that accepts whatever it did with the
 * announce: the Go shoal's sidecar answers `accepted` even when it dropped the announce because
 * gossip had not yet told it about us ("announce before join"). After such a round the loop
 * announces once more, {@linkcode CONFIRM_DELAY_MS} later, when gossip has spread our join.
 *
 * @example
 * ```ts
 * import { Announcer } from "./announcer.ts";
 * import { systemClock } from "../../clock.ts";
 * import { nullLogger } from "../../log/logger.ts";
 * let rounds = 0;
 * const a = new Announcer({
 *   announce: () => (rounds++, Promise.resolve({ answered: 1, accepted: 1 })),
 *   clock: systemClock, prng: Math.random, log: nullLogger,
 * });
 * a.kick();
 * await a.idle();
 * console.assert(rounds === 1);
 * ```
 *
 * @module
 */

import { type Clock, type Prng, Sleeper } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import { LogThrottle } from "../../log/throttle.ts";
import { Backoff, TASK_BACKOFF } from "../backoff.ts";
import { errorText } from "../../log/error_text.ts";

/** The outcome of one announce round. */
export interface AnnounceRound {
  /** Sidecars that answered. */
  readonly answered: number;
  /** Sidecars that accepted. */
  readonly accepted: number;
  /** Accepts that named no server (see the module documentation). @default 0 */
  readonly unconfirmed?: number;
}

/** How long after a round with unconfirmed accepts the one repeat is sent. */
export const CONFIRM_DELAY_MS = 1000;

/** Options of {@linkcode Announcer}. */
export interface AnnouncerOptions {
  /** One round: send the query with the current state, log each answer, count them. */
  announce(): Promise<AnnounceRound>;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly log: Logger;
  /** @default 250 */
  readonly initialMs?: number;
  /** @default 5000 */
  readonly maxMs?: number;
}

/** Runs announce rounds on demand; see the module documentation. */
export class Announcer {
  readonly #o: AnnouncerOptions;
  readonly #backoff: Backoff;
  readonly #sleeper: Sleeper;
  readonly #throttle: LogThrottle;
  #pending = false;
  #stopped = false;
  #active = false;
  /** The repeat for unconfirmed accepts was sent since the last kick. */
  #repeated = false;
  #running: Promise<void> = Promise.resolve();
  /** Rounds run so far. */
  rounds = 0;

  constructor(options: AnnouncerOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.prng, {
      baseMs: options.initialMs ?? TASK_BACKOFF.baseMs,
      maxMs: options.maxMs ?? TASK_BACKOFF.maxMs,
    });
    this.#sleeper = new Sleeper(options.clock);
    this.#throttle = new LogThrottle();
  }

  /** Announces now (or right after the round in flight), restarting the backoff. */
  kick(): void {
    if (this.#stopped) return;
    this.#pending = true;
    this.#repeated = false;
    this.#backoff.reset();
    this.#sleeper.wake();
    if (this.#active) return;
    this.#active = true;
    this.#running = this.#loop();
  }

  /** Stops retrying; a round in flight finishes on its own. */
  stop(): void {
    this.#stopped = true;
    this.#sleeper.wake();
  }

  /** Resolves when no round is running or scheduled. */
  idle(): Promise<void> {
    return this.#running;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#pending && !this.#stopped) {
        this.#pending = false;
        const round = await this.#round();
        if (this.#stopped || this.#pending) continue;
        if (round.accepted > 0) {
          if ((round.unconfirmed ?? 0) === 0 || this.#repeated) return;
          this.#repeated = true;
          this.#o.log.info("task.announce.repeat", {
            unconfirmed: round.unconfirmed,
            delayMs: CONFIRM_DELAY_MS,
          });
          this.#pending = true;
          await this.#sleeper.sleep(CONFIRM_DELAY_MS);
          continue;
        }
        const delayMs = this.#backoff.next();
        const { level, suppressed } = this.#throttle.level(this.#o.clock.nowMs(), "info");
        this.#o.log[level]("task.announce.retry", {
          attempt: this.#backoff.attempts,
          answered: round.answered,
          delay_ms: delayMs,
          suppressed,
        });
        this.#pending = true;
        await this.#sleeper.sleep(delayMs);
      }
    } finally {
      // Cleared in the same step as the last look at #pending, so no kick is lost.
      this.#active = false;
    }
  }

  async #round(): Promise<AnnounceRound> {
    this.rounds++;
    try {
      return await this.#o.announce();
    } catch (err) {
      this.#o.log.warn("task.announce.failed", {
        error: errorText(err),
      });
      return { answered: 0, accepted: 0 };
    }
  }
}
