/**
 * The registry's record of one server (who claims it, in which backend, since when it drains) and
 * how two records compare; internal to the registry (`registry.ts`).
 *
 * @module
 */

import type { DesiredServer } from "../../haproxy/plan.ts";

/** One server the registry wants, and who asked for it. */
export interface Claim {
  readonly node: string;
  readonly backend: string;
  readonly server: DesiredServer;
  /** Set for adopted servers nobody has claimed yet: when they are dropped. */
  readonly orphanDeadlineMs?: number;
  /** When the server was asked to drain (set while `server.state` is `drain`). */
  readonly drainSinceMs?: number;
}

/** Equal claims: same node, backend, drain time, no orphan deadline, same server fields. */
export function sameClaim(a: Claim, b: Claim): boolean {
  if (a.node !== b.node || a.backend !== b.backend || a.drainSinceMs !== b.drainSinceMs) {
    return false;
  }
  if (a.orphanDeadlineMs !== undefined || b.orphanDeadlineMs !== undefined) return false;
  const x = a.server as unknown as Record<string, unknown>;
  const y = b.server as unknown as Record<string, unknown>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}
