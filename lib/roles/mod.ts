/**
 * Dispatch from a parsed {@linkcode Config} to the role that runs it. Each role is its own
 * composition root: it builds the logger, clock, sockets and processes it needs from its config.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { versionText } from "../version.ts";
import { runAgent } from "./agent.ts";
import { generateKey } from "./keygen.ts";
import { runMembers } from "./members.ts";
import { runSidecar } from "./sidecar.ts";
import { runTask } from "./task.ts";

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
      io.stdout(generateKey() + "\n");
      return Promise.resolve(0);
    case "agent":
      return runAgent(config);
    case "members":
      return runMembers(config, io);
    case "task":
      return runTask(config);
    case "sidecar":
      return runSidecar(config);
  }
}
