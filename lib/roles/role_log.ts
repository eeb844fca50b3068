/**
 * A role's logger, the same for the agent, the sidecar and the task: lines on stderr at the
 * configured level and format (or the injected logger), time-stamped by the host's wall clock,
 * and every event, at any level, also copied to `serf monitor` clients of the agent RPC.
 *
 * @module
 */

import type { LogConfig } from "../config.ts";
import { createLogger } from "../log/line_logger.ts";
import type { LogFields, Logger } from "../log/logger.ts";
import { LogTap } from "../log/tap.ts";
import type { GossipHost } from "./gossip_runtime.ts";
import { denoGossipHost } from "./gossip_runtime_host.ts";

/** What a role root may inject into its logging. */
export interface RoleLogDeps {
  readonly logger?: Logger;
  readonly gossip?: Partial<GossipHost>;
}

/** The role's tap (for the agent RPC's monitor) and the logger that feeds it. */
export function roleLog(
  config: { readonly log: LogConfig },
  fields: LogFields,
  inject: RoleLogDeps,
): { logTap: LogTap; log: Logger } {
  const wallMs = inject.gossip?.wallMs ?? denoGossipHost.wallMs;
  const logTap = new LogTap({ nowMs: wallMs });
  const log = logTap.wrap(
    inject.logger ?? createLogger({
      output: Deno.stderr,
      level: config.log.level,
      format: config.log.format,
      fields,
      nowMs: wallMs,
    }),
  );
  return { logTap, log };
}
