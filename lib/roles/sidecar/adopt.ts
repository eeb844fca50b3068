/**
 * Turning the managed servers HAProxy already had at start-up (a restarted sidecar) into desired
 * servers the registry can adopt unchanged. Pure.
 *
 * @module
 */

import type { CheckOptions } from "../../haproxy/commands.ts";
import type { DesiredServer, ObservedServer } from "../../haproxy/plan.ts";

/**
 * Desired servers equal to what HAProxy reports, so the first pass changes nothing: ready servers
 * stay ready, draining or maintenance ones keep draining (and are removed once idle), servers with
 * checks keep them (`check` is the registry's check options: a server added by an earlier sidecar
 * used them too).
 *
 * @example
 * ```ts
 * import { adoptedServers } from "./adopt.ts";
 * const [s] = adoptedServers([{ name: "shoal-t1", addr: "10.0.0.7", port: 80, admin: "ready",
 *   uweight: 100, checkConfigured: true, checkEnabled: true }], { interMs: 1000 });
 * console.assert(s?.state === "ready" && s.check?.interMs === 1000);
 * ```
 */
export function adoptedServers(
  observed: readonly ObservedServer[],
  check: CheckOptions,
): DesiredServer[] {
  return observed.map((s) => ({
    name: s.name,
    addr: s.addr,
    port: s.port,
    weight: s.uweight,
    state: s.admin === "ready" ? "ready" : "drain",
    ...(s.checkConfigured ? { check } : {}),
  }));
}
