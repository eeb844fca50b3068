/**
 * Dispatch from a parsed {@linkcode Config} to the role that runs it. Each role is its own
 * composition root: it builds the logger, clock, sockets and processes it needs from its config.
 * Roles are imported when they run (`import()`), so a task never loads the sidecar's HAProxy
 * client and reconciler, and `version` or `keygen` load no gossip code at all.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { versionText } from "../version.ts";

/** Where a role writes its plain output (not logs). */
export interface RoleIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Runs the role `config` names and resolves to the process exit status. */
export function runRole(config: Config, io: RoleIO): Promise<number> {
  switch (config.role) {
    case "version":
      io.stdout(versionText({ deno: Deno.version.deno, os: Deno.build.os, arch: Deno.build.arch }));
      return Promise.resolve(0);
    case "keygen":
      return import("./keygen.ts").then((m) => (io.stdout(m.generateKey() + "\n"), 0));
    case "agent":
      return import("./agent.ts").then((m) => m.runAgent(config));
    case "members":
      return import("./members.ts").then((m) => m.runMembers(config, io));
    case "task":
      return import("./task.ts").then((m) => m.runTask(config));
    case "sidecar":
      return import("./sidecar.ts").then((m) => m.runSidecar(config));
  }
}
