/**
 * The node table of the SWIM core: every known node by name, plus memberlist's probe list
 * (round-robin order, new nodes inserted at a random position, shuffled and reaped on wrap).
 *
 * @example
 * ```ts
 * import { seededPrng } from "../clock.ts";
 * import { MemberTable } from "./member_table.ts";
 * import { NodeState } from "./wire/messages.ts";
 * const t = new MemberTable(seededPrng(1));
 * t.add({ name: "a", addr: new Uint8Array([127, 0, 0, 1]), port: 7946, meta: new Uint8Array(),
 *   incarnation: 0, state: NodeState.Dead, vsn: new Uint8Array(6), stateChangeMs: 0 });
 * console.assert(t.size === 1);
 * ```
 *
 * @module
 */

import { type Prng, randomInt, shuffle } from "../clock.ts";
import { hostFromIp } from "./address.ts";
import type { NodeInfo } from "./types.ts";
import { NodeState, type PushNodeState } from "./wire/messages.ts";

/**
 * One node as the core tracks it (memberlist's nodeState): the fields of its push/pull entry, the
 * name fixed, and when its state last changed. Mutated only by the state rules.
 */
export interface Member extends PushNodeState {
  readonly name: string;
  /** Virtual time of the last state change. */
  stateChangeMs: number;
}

/**
 * Sees every change to a member's state or incarnation as it happens: `prev` is null for a new
 * entry, and `removed` is set when a dead entry is reaped from the table.
 */
export type MemberObserver = (
  m: Member,
  prev: { readonly state: NodeState; readonly incarnation: number } | null,
  removed?: boolean,
) => void;

/** Byte-wise equality (memberlist compares addresses and metadata as raw bytes). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A version vector is usable unless pmin or pmax is 0 or pmin > pmax (§4). */
export function vsnValid(vsn: Uint8Array): boolean {
  if (vsn.length < 3) return true;
  return vsn[0] !== 0 && vsn[1] !== 0 && vsn[0]! <= vsn[1]!;
}

/** True for Dead and Left. */
export function isDeadOrLeft(m: Member): boolean {
  return m.state === NodeState.Dead || m.state === NodeState.Left;
}

/** The public, immutable view of a member. */
export function nodeInfo(m: Member): NodeInfo {
  return {
    name: m.name,
    addr: m.addr,
    host: hostFromIp(m.addr),
    port: m.port,
    meta: m.meta,
    incarnation: m.incarnation,
    state: m.state,
    vsn: m.vsn,
  };
}

/** Nodes by name and in probe order. */
export class MemberTable {
  readonly #prng: Prng;
  readonly #byName = new Map<string, Member>();
  #order: Member[] = [];
  #probeIndex = 0;

  constructor(prng: Prng) {
    this.#prng = prng;
  }

  /** Nodes in the table, self and not-yet-reaped dead included (memberlist's numNodes). */
  get size(): number {
    return this.#order.length;
  }

  get(name: string): Member | undefined {
    return this.#byName.get(name);
  }

  /** All members in probe order. */
  all(): readonly Member[] {
    return this.#order;
  }

  /** Adds a new member at a random position of the probe list (memberlist swaps it in). */
  add(m: Member): void {
    if (this.#byName.has(m.name)) throw new Error(`Member "${m.name}" is already in the table`);
    this.#byName.set(m.name, m);
    const n = this.#order.length;
    const offset = n > 0 ? randomInt(this.#prng, n) : 0;
    this.#order.push(m);
    const tmp = this.#order[offset]!;
    this.#order[offset] = m;
    this.#order[n] = tmp;
  }

  /**
   * The next probe target in round-robin order, skipping `self` and dead/left nodes. On wrap,
   * reaps dead/left nodes older than `reapAfterMs` and shuffles (memberlist's resetNodes).
   */
  nextProbeTarget(
    self: string,
    nowMs: number,
    reapAfterMs: number,
    onReaped?: (gone: Member[]) => void,
  ): Member | null {
    let checked = 0;
    while (checked < this.#order.length) {
      if (this.#probeIndex >= this.#order.length) {
        const gone = this.reap(nowMs, reapAfterMs);
        if (gone.length > 0) onReaped?.(gone);
        shuffle(this.#prng, this.#order);
        this.#probeIndex = 0;
        checked++;
        continue;
      }
      const m = this.#order[this.#probeIndex++]!;
      if (m.name !== self && !isDeadOrLeft(m)) return m;
      checked++;
    }
    return null;
  }

  /** Removes dead/left members whose state changed more than `reapAfterMs` ago. */
  reap(nowMs: number, reapAfterMs: number): Member[] {
    const gone: Member[] = [];
    this.#order = this.#order.filter((m) => {
      const drop = isDeadOrLeft(m) && nowMs - m.stateChangeMs > reapAfterMs;
      if (drop) {
        gone.push(m);
        this.#byName.delete(m.name);
      }
      return !drop;
    });
    return gone;
  }

  /**
   * Up to `k` distinct random members not excluded, trying 3 × size random picks as memberlist's
   * kRandomNodes does.
   */
  randomMembers(k: number, exclude: (m: Member) => boolean): Member[] {
    const n = this.#order.length;
    const out: Member[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const m = this.#order[randomInt(this.#prng, n)]!;
      if (exclude(m) || out.includes(m)) continue;
      out.push(m);
    }
    return out;
  }
}
