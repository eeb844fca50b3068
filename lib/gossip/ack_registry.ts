/**
 * Handlers waiting for an ack (or nack) by sequence number: our probes and the pings we send on
 * behalf of indirect-probe requesters. Bounded, because indirect requests come from the network.
 *
 * Holds no timer: each deadline is asked of the shell as an `ack:<seqNo>` directive (memberlist's
 * `setAckHandler` arms a `time.AfterFunc`; here the shell arms it) and comes back through
 * {@linkcode AckRegistry.timedOut}.
 *
 * @example
 * ```ts
 * import { AckRegistry } from "./ack_registry.ts";
 * import type { TimerDirective } from "./loops.ts";
 * const asked: TimerDirective[] = [];
 * const reg = new AckRegistry((d) => asked.push(d), 10);
 * let timedOut = false;
 * reg.register(7, 500, { onAck() {}, onTimeout: () => (timedOut = true) });
 * console.assert(asked[0]?.kind === "schedule" && asked[0].timer === "ack:7");
 * reg.timedOut(7); // the shell's timer fired
 * console.assert(timedOut && reg.size === 0);
 * ```
 *
 * @module
 */

import { ackTimer, halt, schedule, type TimerSink } from "./loops.ts";

/** What to do when an ack, a nack or the deadline arrives. */
export interface AckHandler {
  onAck(payload: Uint8Array | null, nowMs: number): void;
  onNack?(): void;
  onTimeout?(): void;
}

/** Pending ack handlers keyed by sequence number. */
export class AckRegistry {
  readonly #timers: TimerSink;
  readonly #max: number;
  readonly #pending = new Map<number, AckHandler>();

  /** `max` bounds pending handlers (config.pendingAcksMax); deadlines go to `timers`. */
  constructor(timers: TimerSink, max: number) {
    this.#timers = timers;
    this.#max = max;
  }

  /** Handlers waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers `handler` for `seqNo` and asks for its deadline `timeoutMs` from now; false (and
   * nothing registered or asked) when full or `seqNo` is already waiting.
   */
  register(seqNo: number, timeoutMs: number, handler: AckHandler): boolean {
    if (this.#pending.size >= this.#max || this.#pending.has(seqNo)) return false;
    this.#timers(schedule(ackTimer(seqNo), timeoutMs));
    this.#pending.set(seqNo, handler);
    return true;
  }

  /** Delivers an ack: the handler runs once and is removed. Unknown numbers are ignored. */
  ack(seqNo: number, payload: Uint8Array | null, nowMs: number): boolean {
    const handler = this.#pending.get(seqNo);
    if (!handler) return false;
    this.#pending.delete(seqNo);
    this.#timers(halt(ackTimer(seqNo)));
    handler.onAck(payload, nowMs);
    return true;
  }

  /** Delivers a nack; the handler stays registered. */
  nack(seqNo: number): boolean {
    const handler = this.#pending.get(seqNo);
    if (!handler) return false;
    handler.onNack?.();
    return true;
  }

  /** The deadline of `seqNo` passed: its handler's `onTimeout` runs once and it is removed. */
  timedOut(seqNo: number): void {
    const handler = this.#pending.get(seqNo);
    if (!handler) return;
    this.#pending.delete(seqNo);
    handler.onTimeout?.();
  }

  /** Drops every handler without calling it, cancelling their deadlines. */
  clear(): void {
    for (const seqNo of this.#pending.keys()) this.#timers(halt(ackTimer(seqNo)));
    this.#pending.clear();
  }
}
