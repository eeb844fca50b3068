/**
 * Handlers waiting for an ack (or nack) by sequence number: our probes and the pings we send on
 * behalf of indirect-probe requesters. Bounded, because indirect requests come from the network.
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";

/** What to do when an ack, a nack or the deadline arrives. */
export interface AckHandler {
  onAck(payload: Uint8Array | null, nowMs: number): void;
  onNack?(): void;
  onTimeout?(): void;
}

interface Pending {
  readonly handler: AckHandler;
  readonly timer: TimerId;
}

/** Pending ack handlers keyed by sequence number. */
export class AckRegistry {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #pending = new Map<number, Pending>();

  /** `max` bounds pending handlers (config.pendingAcksMax). */
  constructor(clock: Clock, max: number) {
    this.#clock = clock;
    this.#max = max;
  }

  /** Handlers waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /** Registers `handler` for `seqNo` until `timeoutMs`; false (and nothing registered) when full. */
  register(seqNo: number, timeoutMs: number, handler: AckHandler): boolean {
    if (this.#pending.size >= this.#max || this.#pending.has(seqNo)) return false;
    const timer = this.#clock.setTimer(timeoutMs, () => {
      if (this.#pending.get(seqNo)?.handler !== handler) return;
      this.#pending.delete(seqNo);
      handler.onTimeout?.();
    });
    this.#pending.set(seqNo, { handler, timer });
    return true;
  }

  /** Delivers an ack: the handler runs once and is removed. Unknown numbers are ignored. */
  ack(seqNo: number, payload: Uint8Array | null, nowMs: number): boolean {
    const p = this.#pending.get(seqNo);
    if (!p) return false;
    this.#pending.delete(seqNo);
    this.#clock.clearTimer(p.timer);
    p.handler.onAck(payload, nowMs);
    return true;
  }

  /** Delivers a nack; the handler stays registered. */
  nack(seqNo: number): boolean {
    const p = this.#pending.get(seqNo);
    if (!p) return false;
    p.handler.onNack?.();
    return true;
  }

  /** Drops every handler without calling it. */
  clear(): void {
    for (const p of this.#pending.values()) this.#clock.clearTimer(p.timer);
    this.#pending.clear();
  }
}
