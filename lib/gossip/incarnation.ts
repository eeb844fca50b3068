/**
 * Our own incarnation number and the alive message that announces it: memberlist's
 * `nextIncarnation` / `skipIncarnation`, and the bump past an accusation that refutes it.
 *
 * @example
 * ```ts
 * import { Incarnations } from "./incarnation.ts";
 * const inc = new Incarnations();
 * console.assert(inc.next() === 1 && inc.refuting(7) === 8);
 * ```
 *
 * @module
 */

import type { Member } from "./member_table.ts";
import { type Alive, MessageType } from "./wire/messages.ts";

/** Incarnations are u32 on the wire. */
const INCARNATION_MAX = 0xffffffff;

/** Hands out our incarnation numbers, always increasing. */
export class Incarnations {
  #current = 0;

  /** Advances by `step` and returns the new number; throws once the u32 range is used up. */
  next(step = 1): number {
    if (this.#current + step > INCARNATION_MAX) throw new Error("Incarnation number exhausted");
    this.#current += step;
    return this.#current;
  }

  /** The next number that is also above `accused`, the incarnation an accusation names. */
  refuting(accused: number): number {
    const inc = this.next();
    return accused >= inc ? this.next(accused - inc + 1) : inc;
  }
}

/** Our alive announcement at `incarnation` with `meta`. */
export function aliveOf(me: Member, incarnation: number, meta: Uint8Array): Alive {
  const { name: node, addr, port, vsn } = me;
  return { type: MessageType.Alive, incarnation, node, addr, port, meta, vsn };
}
