/**
 * Joining a cluster (memberlist's Join): each target address is parsed, its host resolved, and a
 * join push/pull tried with each address it resolves to until one succeeds; every failure is
 * logged as `join.failed` with its cause (see `join_diagnostics.ts`).
 *
 * @module
 */

import type { Logger } from "../log/logger.ts";
import { parseJoinTarget, resolveJoinHost } from "./address.ts";
import { joinCause, JoinDnsError } from "./join_diagnostics.ts";
import type { Address } from "./types.ts";

/** What a join needs from the node. */
export interface JoinDeps {
  /** The port of a target that names none (our own). */
  readonly defaultPort: number;
  /** Resolves a DNS name to IP literals; without it targets must be IP literals. */
  readonly resolveHost: ((name: string) => Promise<string[]>) | undefined;
  /** Runs one join push/pull with `to`; rejects when it fails. */
  readonly pushPull: (to: Address) => Promise<void>;
  readonly log: Logger;
}

/** Push/pull joins each of `targets` in turn; resolves to how many succeeded. */
export async function joinAll(targets: readonly string[], d: JoinDeps): Promise<number> {
  let ok = 0;
  for (const text of targets) {
    try {
      const { address } = parseJoinTarget(text, d.defaultPort);
      const hosts = await resolveJoinHost(address.host, d.resolveHost);
      if (hosts.length === 0) throw new JoinDnsError(`${address.host} resolved to no address`);
      for (const host of hosts) {
        try {
          await d.pushPull({ host, port: address.port });
          ok++;
          break;
        } catch (err) {
          const cause = joinCause(err);
          d.log.warn("join.failed", { addr: text, host, cause, error: String(err) });
        }
      }
    } catch (err) {
      d.log.warn("join.failed", { addr: text, cause: joinCause(err), error: String(err) });
    }
  }
  return ok;
}
