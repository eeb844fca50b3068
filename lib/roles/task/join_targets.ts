/**
 * Where the task joins: the `--join` addresses plus the targets of the `--join-srv` DNS SRV
 * name, looked up again on every attempt (a sidecar that moves gets a new record).
 *
 * @example
 * ```ts
 * import { srvJoinTargets } from "./join_targets.ts";
 * const t = srvJoinTargets([
 *   { priority: 10, weight: 5, port: 7946, target: "b.sidecar.local." },
 *   { priority: 0, weight: 5, port: 7947, target: "a.sidecar.local." },
 * ]);
 * console.assert(t[0] === "a.sidecar.local:7947" && t[1] === "b.sidecar.local:7946");
 * ```
 *
 * @module
 */

import type { Logger } from "../../log/logger.ts";
import { joinHostPort } from "../../net/mod.ts";
import { errorText } from "../../log/error_text.ts";

/** One SRV record, as `Deno.resolveDns(name, "SRV")` returns it. */
export interface SrvRecord {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

/** Looks up the SRV records of a name (injected: tests never touch DNS). */
export type SrvResolver = (name: string) => Promise<SrvRecord[]>;

/** Most SRV targets joined at once: an answer from the network is bounded before use. */
export const SRV_TARGETS_MAX = 32;

/** The resolver on `Deno.resolveDns`. */
export const denoSrvResolver: SrvResolver = (name) => Deno.resolveDns(name, "SRV");

/**
 * Turns SRV records into `host:port` join targets: lowest priority first, heavier weight first
 * within a priority, duplicates and invalid records (port 0, root target ".") dropped, at most
 * {@linkcode SRV_TARGETS_MAX}. IPv6 literal targets are bracketed.
 */
export function srvJoinTargets(records: readonly SrvRecord[]): string[] {
  const sorted = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  const out: string[] = [];
  for (const r of sorted) {
    const host = r.target.replace(/\.$/, "");
    if (host === "" || !Number.isInteger(r.port) || r.port < 1 || r.port > 65_535) continue;
    const target = joinHostPort(host, r.port);
    if (!out.includes(target)) out.push(target);
    if (out.length >= SRV_TARGETS_MAX) break;
  }
  return out;
}

/** What {@linkcode resolveJoinTargets} needs. */
export interface JoinTargetOptions {
  /** `--join` addresses, used as given. */
  readonly join: readonly string[];
  /** `--join-srv` name, or null. */
  readonly joinSrv: string | null;
  readonly resolveSrv: SrvResolver;
  readonly log: Logger;
}

/**
 * The static `--join` addresses followed by the SRV targets. A failed lookup is logged
 * (`task.join_srv.failed`) and contributes nothing, so a name that does not exist yet is retried
 * with the join.
 */
export async function resolveJoinTargets(o: JoinTargetOptions): Promise<string[]> {
  const targets = [...o.join];
  if (o.joinSrv === null) return targets;
  try {
    const found = srvJoinTargets(await o.resolveSrv(o.joinSrv));
    o.log.debug("task.join_srv.resolved", { name: o.joinSrv, targets: found.join(",") });
    for (const t of found) if (!targets.includes(t)) targets.push(t);
  } catch (err) {
    o.log.warn("task.join_srv.failed", {
      name: o.joinSrv,
      error: errorText(err),
    });
  }
  return targets;
}
