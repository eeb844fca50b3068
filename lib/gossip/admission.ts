/**
 * What an alive must pass before it may add or change a table entry (issue 13): an address serf
 * can decode, versions that can share a table with ours, and, for a name we do not know yet, the
 * budget of its source host. Each refusal is counted in the core counters and logged at debug
 * (the first and every 1000th, since refusals come in floods).
 *
 * @example
 * ```ts
 * import { AliveAdmission } from "./admission.ts";
 * import { newCoreCounters } from "./effects.ts";
 * import { nullLogger } from "../log/logger.ts";
 * const counters = newCoreCounters();
 * const adm = new AliveAdmission({ counters, logger: nullLogger, clock: { nowMs: () => 0 } });
 * const ok = { node: "b", addr: new Uint8Array(4), vsn: new Uint8Array([1, 5, 2, 2, 5, 5]) };
 * console.assert(adm.admits(ok, new Uint8Array([1, 5, 2, 2, 5, 5])));
 * console.assert(!adm.admits({ ...ok, addr: new Uint8Array(0) }, undefined));
 * ```
 *
 * @module
 */

import type { Clock } from "../clock.ts";
import type { CoreContext } from "./effects.ts";
import { KeyedBudgets } from "./rate_budget.ts";
import { versionsCompatible } from "./version_check.ts";
import type { Alive } from "./wire/messages.ts";

/**
 * Unknown names one source host may add at once, by gossip or by a push/pull it started. A real
 * node introduces itself and relays the joins it hears, and a joining cluster half is learned
 * through the push/pulls we start ourselves (not limited); 512 covers a large deployment
 * appearing at once. A host that never joined could otherwise invent 65 536 members (the table
 * limit): 20 000 took RSS +184 MB and `serf members` 3-5 s (issue 13).
 */
export const NEW_NAMES_PER_SOURCE_BURST = 512;
/** The refill of {@linkcode NEW_NAMES_PER_SOURCE_BURST}: 8 names a second per source host. */
export const NEW_NAMES_PER_SOURCE_PER_SECOND = 8;
/** Source hosts whose budget is remembered; full (idle) budgets are forgotten first. */
const SOURCES_MAX = 4096;

/** The fields of an alive the checks read. */
export type AliveFields = Readonly<Pick<Alive, "node" | "addr" | "vsn">>;

/** What the checks need from the core: its counters, logger and (only the time of) its clock. */
export interface AdmissionDeps extends Pick<CoreContext, "counters" | "logger"> {
  readonly clock: Pick<Clock, "nowMs">;
}

/** The checks; see the module documentation. */
export class AliveAdmission {
  readonly #d: AdmissionDeps;
  readonly #newNames = new KeyedBudgets({
    capacity: NEW_NAMES_PER_SOURCE_BURST,
    perSecond: NEW_NAMES_PER_SOURCE_PER_SECOND,
    keysMax: SOURCES_MAX,
  });

  constructor(d: AdmissionDeps) {
    this.#d = d;
  }

  /**
   * True when `a` may be applied. It needs an IPv4 or IPv6 address (serf cannot decode any other,
   * and a joiner receiving one in our push/pull failed its join; found by the fuzzer) and versions
   * compatible with `ours` (once in our table, an incompatible entry fails every joiner's
   * protocol check).
   */
  admits(a: AliveFields, ours: Uint8Array | undefined): boolean {
    const c = this.#d.counters;
    if (a.addr.length !== 4 && a.addr.length !== 16) {
      if (c.addressesRefused++ % 1000 === 0) {
        this.#d.logger.debug("member.address_refused", { node: a.node, bytes: a.addr.length });
      }
      return false;
    }
    if (ours !== undefined && !versionsCompatible(ours, a.vsn)) {
      if (c.versionsRefused++ % 1000 === 0) {
        this.#d.logger.debug("member.version_refused", { node: a.node, vsn: [...a.vsn].join(".") });
      }
      return false;
    }
    return true;
  }

  /** Spends one of `source`'s new-name budget for `node`; false (counted) when it is used up. */
  newName(node: string, source: string): boolean {
    if (this.#newNames.take(source, this.#d.clock.nowMs())) return true;
    const c = this.#d.counters;
    if (c.nodesRefusedFromSource++ % 1000 === 0) {
      this.#d.logger.debug("member.admission_refused", { node, source });
    }
    return false;
  }
}
