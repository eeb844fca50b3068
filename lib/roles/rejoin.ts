/**
 * The rejoin loop every node with join targets runs (issue 12): serf reconnects only to members
 * that *failed*, never to ones that *left*, so a node whose sidecar was replaced (or that lost
 * every peer) would otherwise stay alone. While {@linkcode RejoinOptions.needed} says why a
 * rejoin is needed, the loop joins its targets (asked for again on every attempt, so SRV names
 * are re-resolved) with bounded, jittered backoff: the first retry within 1 s, then doubling up
 * to about 10 s. {@linkcode Rejoiner.poke} looks again at once (a member event) and may add
 * addresses to the next attempt (a sidecar that refused an announce for not holding us alive).
 *
 * @example
 * ```ts
 * import { Rejoiner } from "./rejoin.ts";
 * import { systemClock } from "../clock.ts";
 * import { nullLogger } from "../log/logger.ts";
 * let alone = true;
 * const r = new Rejoiner({
 *   needed: () => (alone ? "no alive peer" : null),
 *   targets: () => Promise.resolve(["127.0.0.1:7946"]),
 *   join: () => ((alone = false), Promise.resolve(1)),
 *   clock: systemClock, prng: Math.random, log: nullLogger, event: "task.rejoin",
 * });
 * r.start();
 * await new Promise((res) => setTimeout(res, 10));
 * r.stop();
 * console.assert(!alone);
 * ```
 *
 * @module
 */

import type { Clock, Prng } from "../clock.ts";
import { errorText } from "../log/error_text.ts";
import type { Logger } from "../log/logger.ts";
import { backoffDelayMs, type BackoffOptions } from "./backoff.ts";

/** Rejoin delays: 500 ms at first (so within 1 s with jitter), doubling up to 10 s. */
export const REJOIN_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 10_000 };
/**
 * How often the condition is looked at while nothing is wrong: a backstop only, since the member
 * events that can make a rejoin needed (a member leaving or failing) poke the loop at once, and an
 * idle process should not wake up every second to find nothing to do (issue 17).
 */
export const REJOIN_CHECK_MS = 10_000;

/** What a loop of join attempts with backoff needs ({@linkcode Rejoiner}, `joinWithRetry`). */
export interface JoinAttempts {
  /** The addresses to join this time (`--join`, the SRV targets resolved again, a snapshot). */
  targets(): Promise<string[]>;
  /** One join attempt (also with no targets: a snapshot may know more); how many answered. */
  join(addrs: readonly string[]): Promise<number>;
  readonly clock: Clock;
  readonly prng: Prng;
  readonly log: Logger;
}

/** Options of {@linkcode Rejoiner}. */
export interface RejoinOptions extends JoinAttempts {
  /** Why a rejoin is needed now, or null when it is not. */
  needed(): string | null;
  /** Log event of each attempt (`task.rejoin`, `sidecar.rejoin`). */
  readonly event: string;
  /** @default REJOIN_BACKOFF */
  readonly backoff?: BackoffOptions;
}

/** Runs the loop; see the module documentation. */
export class Rejoiner {
  readonly #o: RejoinOptions;
  #timer: number | undefined;
  #running = false;
  #stopped = true;
  #attempt = 0;
  /** Extra addresses for the next attempt (from {@linkcode poke}). */
  readonly #extra = new Set<string>();

  constructor(options: RejoinOptions) {
    this.#o = options;
  }

  /** Starts looking (the first look is at once). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /**
   * Looks again now (a member event: a sidecar may just have left). `addrs` are joined on the next
   * attempt even when nothing else is wrong, and at once. Without `addrs`, a loop already backing
   * off keeps its delay: member events during a join storm must not turn into a join storm.
   */
  poke(addrs: readonly string[] = []): void {
    for (const a of addrs) this.#extra.add(a);
    if (this.#stopped || this.#running) return;
    if (addrs.length === 0 && this.#attempt > 0) return;
    this.#schedule(0);
  }

  /** Stops the loop (an attempt in flight finishes, nothing more starts). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimer(this.#timer);
    this.#timer = this.#o.clock.setTimer(delayMs, () => {
      this.#timer = undefined;
      void this.#look();
    });
  }

  async #look(): Promise<void> {
    if (this.#stopped || this.#running) return;
    const o = this.#o;
    const reason = this.#extra.size > 0 ? "a sidecar does not hold us alive" : o.needed();
    if (reason === null) {
      this.#attempt = 0;
      return this.#schedule(REJOIN_CHECK_MS);
    }
    this.#running = true;
    let contacted = 0;
    try {
      const extra = [...this.#extra];
      this.#extra.clear();
      const targets = [...new Set([...extra, ...(await o.targets())])];
      this.#attempt++;
      o.log.info(o.event, { reason, attempt: this.#attempt, addrs: targets.join(",") });
      contacted = await o.join(targets);
    } catch (err) {
      o.log.warn(`${o.event}.failed`, { error: errorText(err) });
    } finally {
      this.#running = false;
    }
    if (this.#stopped) return;
    if (contacted > 0 && o.needed() === null) {
      this.#attempt = 0;
      return this.#schedule(REJOIN_CHECK_MS);
    }
    const delayMs = backoffDelayMs(this.#attempt - 1, o.backoff ?? REJOIN_BACKOFF, o.prng);
    this.#schedule(this.#extra.size > 0 ? 0 : delayMs);
  }
}
