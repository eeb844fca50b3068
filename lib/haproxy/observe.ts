/**
 * Reading HAProxy's state for the reconciler, and checking desired state before it is accepted.
 *
 * @module
 */

import type { RuntimeClient } from "./client.ts";
import { ValidationError } from "./errors.ts";
import type { DesiredServer, ObservedServer } from "./plan.ts";
import { CHECK_CONFIGURED, CHECK_ENABLED } from "./servers_state.ts";
import { serverWords } from "./commands.ts";
import { validateWeight } from "./validate.ts";
import { isManagedName } from "./names.ts";

/**
 * Reads `show servers state` for each backend, and `show stat` for backends where a managed
 * server is draining or in maintenance (its sessions, and the requests queued at the backend,
 * decide when it can be deleted), or for all backends when `allSessions` is set.
 */
export async function observeBackends(
  client: RuntimeClient,
  backends: readonly string[],
  { prefix, allSessions }: { prefix: string; allSessions: boolean },
): Promise<Map<string, ObservedServer[]>> {
  const observed = new Map<string, ObservedServer[]>();
  for (const backend of backends) {
    const rows = await client.serversState(backend);
    const servers: ObservedServer[] = rows.map((r) => ({
      name: r.name,
      addr: r.addr,
      port: r.port,
      admin: r.admin,
      uweight: r.uweight,
      checkConfigured: (r.checkState & CHECK_CONFIGURED) !== 0,
      checkEnabled: (r.checkState & CHECK_ENABLED) !== 0,
      opState: r.opState,
    }));
    const needSessions = allSessions ||
      servers.some((s) => isManagedName(s.name, prefix) && s.admin !== "ready");
    if (needSessions) {
      const rows = await client.stat(backend);
      const backendQcur = rows.find((row) => row.kind === "backend")?.qcur;
      const stats = new Map(rows.filter((r) => r.kind === "server").map((r) => [r.service, r]));
      for (let i = 0; i < servers.length; i++) {
        const stat = stats.get(servers[i]!.name);
        if (!stat) continue;
        const sessions = { scur: stat.scur, qcur: stat.qcur };
        servers[i] = {
          ...servers[i]!,
          sessions: backendQcur === undefined ? sessions : { ...sessions, backendQcur },
        };
      }
    }
    observed.set(backend, servers);
  }
  return observed;
}

/**
 * Validates a desired set: names with the prefix and unique, IP literals, ports, weights and
 * options in range, and at most `serversMax` entries. Returns a frozen copy.
 */
export function validateDesired(
  servers: readonly DesiredServer[],
  prefix: string,
  serversMax: number,
): readonly DesiredServer[] {
  if (servers.length > serversMax) {
    throw new ValidationError("servers", servers.length, `more than ${serversMax} servers`);
  }
  const names = new Set<string>();
  const copy = servers.map((s) => {
    serverWords(s);
    if (!s.name.startsWith(prefix)) {
      throw new ValidationError("server", s.name, `does not start with ${JSON.stringify(prefix)}`);
    }
    if (names.has(s.name)) throw new ValidationError("server", s.name, "listed twice");
    names.add(s.name);
    validateWeight(s.weight);
    if (s.state !== "ready" && s.state !== "drain") {
      throw new ValidationError("state", s.state, "must be ready or drain");
    }
    return Object.freeze({ ...s, ...(s.check ? { check: Object.freeze({ ...s.check }) } : {}) });
  });
  return Object.freeze(copy);
}
