/**
 * The 512-slot deduplication rings of user events and queries (wire spec §7.8, §7.9), indexed by
 * `LTime mod 512`, with serf's minimum-time and too-old checks.
 *
 * Serf lets a slot's list grow without bound; here what a ring remembers comes from the network,
 * so it is bounded: each user event slot keeps at most `slotEntriesMax` events, and the query ring
 * at most `idsMax` IDs in all. Query IDs are not bounded per slot: members that saw the same last
 * query share a query clock, so a service scaling in sends hundreds of `depart`s at one Lamport
 * time, and every one must be delivered.
 *
 * @example
 * ```ts
 * import { UserEventRing } from "./rings.ts";
 * const ring = new UserEventRing(512, 64);
 * const e = { name: "deploy", payload: new Uint8Array() };
 * console.assert(ring.admit(3, e, 3) === "new");
 * console.assert(ring.admit(3, e, 3) === "duplicate");
 * ```
 *
 * @module
 */

import type { RingEvent, UserEventsSlot } from "./push_pull.ts";

/** Why a message was or was not admitted. */
export type Admission = "new" | "duplicate" | "stale" | "full";

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** True when `lTime` is too old for a ring of `slots` at clock `now` (serf's check). */
function tooOld(lTime: number, now: number, slots: number): boolean {
  return now > slots && lTime < now - slots;
}

/** The user event ring. */
export class UserEventRing {
  readonly #slots: (UserEventsSlot | null)[];
  readonly #entriesMax: number;
  /** Events below this Lamport time are refused (join without replay, snapshot restore). */
  minTime = 0;

  constructor(slots: number, entriesMax: number) {
    this.#slots = Array<UserEventsSlot | null>(slots).fill(null);
    this.#entriesMax = entriesMax;
  }

  /** Checks and records an event at `lTime`, given the event clock `now` after witnessing. */
  admit(lTime: number, e: RingEvent, now: number): Admission {
    if (lTime < this.minTime || tooOld(lTime, now, this.#slots.length)) return "stale";
    const idx = lTime % this.#slots.length;
    let slot = this.#slots[idx];
    if (slot && slot.lTime === lTime) {
      if (slot.events.some((p) => p.name === e.name && bytesEqual(p.payload, e.payload))) {
        return "duplicate";
      }
      if (slot.events.length >= this.#entriesMax) return "full";
    } else {
      slot = { lTime, events: [] };
      this.#slots[idx] = slot;
    }
    slot.events.push({ name: e.name, payload: e.payload });
    return "new";
  }

  /** The whole ring, for push/pull (empty slots are `null`). */
  slots(): (UserEventsSlot | null)[] {
    return this.#slots.map((s) => (s === null ? null : { lTime: s.lTime, events: [...s.events] }));
  }
}

/** The query ring: Lamport time and the query IDs seen at it. */
export class QueryRing {
  readonly #slots: ({ lTime: number; ids: Set<number> } | null)[];
  readonly #idsMax: number;
  /** IDs held by all slots together. */
  #ids = 0;
  /** The clock and minimum time of the last sweep: sweeping again before either moves frees nothing. */
  #sweptAt: { now: number; minTime: number } | undefined;
  /** Queries below this Lamport time are refused (snapshot restore). */
  minTime = 0;

  /** A ring of `slots` slots holding at most `idsMax` query IDs in all. */
  constructor(slots: number, idsMax: number) {
    this.#slots = Array(slots).fill(null);
    this.#idsMax = idsMax;
  }

  /** Query IDs remembered, over every slot. */
  get size(): number {
    return this.#ids;
  }

  /** Checks and records query `id` at `lTime`, given the query clock `now` after witnessing. */
  admit(lTime: number, id: number, now: number): Admission {
    if (lTime < this.minTime || tooOld(lTime, now, this.#slots.length)) return "stale";
    const idx = lTime % this.#slots.length;
    let slot = this.#slots[idx];
    if (slot && slot.lTime === lTime && slot.ids.has(id)) return "duplicate";
    if (this.#ids >= this.#idsMax) this.#forgetOld(now);
    if (this.#ids >= this.#idsMax) return "full";
    if (!slot || slot.lTime !== lTime) {
      this.#ids -= slot?.ids.size ?? 0;
      slot = { lTime, ids: new Set() };
      this.#slots[idx] = slot;
    }
    slot.ids.add(id);
    this.#ids++;
    return "new";
  }

  /** Empties the slots whose Lamport time has left the window (they would refuse it as stale). */
  #forgetOld(now: number): void {
    const last = this.#sweptAt;
    if (last !== undefined && last.now === now && last.minTime === this.minTime) return;
    this.#sweptAt = { now, minTime: this.minTime };
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      if (slot && (slot.lTime < this.minTime || tooOld(slot.lTime, now, this.#slots.length))) {
        this.#ids -= slot.ids.size;
        this.#slots[i] = null;
      }
    }
  }
}
