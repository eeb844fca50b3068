/**
 * Deliberately injected bugs, to prove the simulation catches them: each mutant patches one
 * method of the product's real classes for the duration of a run, then restores it.
 *
 * - `no-drain`: a depart removes the task's servers at once (maintenance, sessions shut, delete)
 *   instead of draining them.
 * - `never-rejoin`: serf never retries failed members, so a partition that outlived failure
 *   detection is never healed.
 * - `name-clash`: a node whose name a live member already uses is accepted (serf's name-conflict
 *   resolution never runs), so its announces and departs act on the live member's servers.
 *
 * @module
 */

import { Registry } from "../../../lib/roles/sidecar/registry.ts";
import { SerfLifecycle } from "../../../lib/serf/lifecycle.ts";

/** The injectable bugs. */
export const MUTANTS = ["no-drain", "never-rejoin", "name-clash"] as const;
export type Mutant = (typeof MUTANTS)[number];

/** Runs `fn` with `mutant` in place; the product is restored afterwards. */
export async function withMutant<T>(mutant: Mutant, fn: () => Promise<T>): Promise<T> {
  const restore = apply(mutant);
  try {
    return await fn();
  } finally {
    restore();
  }
}

function apply(mutant: Mutant): () => void {
  switch (mutant) {
    case "no-drain": {
      const original = Registry.prototype.depart;
      Registry.prototype.depart = function (this: Registry, node: string) {
        return this.remove(node);
      };
      return () => void (Registry.prototype.depart = original);
    }
    case "name-clash": {
      const original = SerfLifecycle.prototype.conflict;
      SerfLifecycle.prototype.conflict = function () {};
      return () => void (SerfLifecycle.prototype.conflict = original);
    }
    case "never-rejoin": {
      const original = SerfLifecycle.prototype.reconnect;
      SerfLifecycle.prototype.reconnect = function () {};
      return () => void (SerfLifecycle.prototype.reconnect = original);
    }
  }
}
