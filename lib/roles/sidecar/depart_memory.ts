/**
 * Departs supersede older announces (issue 15): an announce a task sent before its depart (a lower
 * serf query LTime) may be acted on after it — it waited for its sender, or gossip delivered it
 * late — and must not put the departing task's server back. {@linkcode DepartMemory} keeps each
 * accepted depart's LTime per node for {@linkcode DEPART_MEMORY_MS}, bounded in count, or until the
 * node joins again.
 *
 * @module
 */

import type { Clock } from "../../clock.ts";

/**
 * How long a depart is remembered to refuse older announces of its node: longer than any query's
 * time in flight (at most a minute, serf's largest query timeout).
 */
export const DEPART_MEMORY_MS = 60_000;
/** Most departed nodes remembered (departs come from the network, so the memory is bounded). */
export const DEPARTS_REMEMBERED_MAX = 4096;

/** See the module documentation. */
export class DepartMemory {
  readonly #clock: Clock;
  /** Node → the query LTime of its latest accepted depart, and when it arrived (oldest first). */
  readonly #departed = new Map<string, { lTime: number; atMs: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** How many nodes' departs are remembered (at most {@linkcode DEPARTS_REMEMBERED_MAX}). */
  get size(): number {
    return this.#departed.size;
  }

  /** Remembers a depart's LTime for its node (the latest one wins), bounded in time and count. */
  remember(node: string, lTime: number): void {
    const nowMs = this.#clock.nowMs();
    for (const [n, d] of this.#departed) {
      if (nowMs - d.atMs <= DEPART_MEMORY_MS && this.#departed.size < DEPARTS_REMEMBERED_MAX) break;
      this.#departed.delete(n);
    }
    const latest = Math.max(lTime, this.#departed.get(node)?.lTime ?? 0);
    this.#departed.delete(node);
    this.#departed.set(node, { lTime: latest, atMs: nowMs });
  }

  /** The node joined again: its remembered depart belonged to an earlier incarnation. */
  forget(node: string): void {
    this.#departed.delete(node);
  }

  /** When the node's remembered depart arrived, if one is remembered. */
  arrivedMs(node: string): number | undefined {
    const d = this.#departed.get(node);
    if (d === undefined || this.#clock.nowMs() - d.atMs > DEPART_MEMORY_MS) return undefined;
    return d.atMs;
  }

  /** The LTime of a remembered depart that an announce sent at `lTime` precedes, if any. */
  supersedes(node: string, lTime: number): number | undefined {
    const d = this.#departed.get(node);
    if (d === undefined || this.#clock.nowMs() - d.atMs > DEPART_MEMORY_MS) return undefined;
    return lTime < d.lTime ? d.lTime : undefined;
  }
}
