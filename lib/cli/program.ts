/**
 * The command line: the subcommand table (`commands.ts`) and the flag tables (`specs.ts`) drive
 * splitting (`argv.ts`), help (`help.ts`) and the resolution of `SHOAL_*` variables.
 * {@linkcode parseCommandLine} never exits the process and never prints: it returns what to do.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { type SplitArgs, splitArgs, suggest } from "./argv.ts";
import {
  agentConfig,
  type ConfigDeps,
  membersConfig,
  sidecarConfig,
  taskConfig,
} from "./build_config.ts";
import { COMMANDS } from "./commands.ts";
export { commandFlags } from "./commands.ts";
import { resolveFlags } from "./flags.ts";
import { commandHelp, rootHelp } from "./help.ts";
import { USAGE_EXIT_CODE, UsageError } from "./usage_error.ts";

/** The outcome of parsing: run a role, or print something and exit. */
export type ParseResult =
  | { readonly kind: "run"; readonly config: Config }
  | {
    readonly kind: "exit";
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
  };

/** What parsing needs from the host. */
export interface ParseDeps extends ConfigDeps {
  /** Environment lookup (`SHOAL_*`). */
  env(name: string): string | undefined;
}

/**
 * Parses `args` (without the program name) into a config to run, or an exit with output.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./program.ts";
 * const r = parseCommandLine(["keygen"], { env: () => undefined, hostname: () => "h" });
 * console.assert(r.kind === "run" && r.config.role === "keygen");
 * ```
 */
export function parseCommandLine(args: readonly string[], deps: ParseDeps): ParseResult {
  const first = args[0];
  if (first === undefined) {
    return { kind: "exit", code: USAGE_EXIT_CODE, stdout: "", stderr: rootHelp() };
  }
  if (first === "--version") return { kind: "run", config: { role: "version" } };
  if (first === "-h" || first === "--help") {
    return { kind: "exit", code: 0, stdout: rootHelp(), stderr: "" };
  }
  if (first === "help") return helpFor(args, deps);
  const def = COMMANDS[first];
  if (def === undefined) {
    const near = first.startsWith("-") ? undefined : suggest(first, Object.keys(COMMANDS));
    const what = first.startsWith("-") ? "flag" : "command";
    return usageExit(
      new UsageError(
        `unknown ${what} ${what === "flag" ? first : JSON.stringify(first)}${
          near ? ` (did you mean ${near}?)` : ""
        }`,
      ),
    );
  }
  try {
    const split = splitArgs(args.slice(1), def.flags, first, def.argument !== undefined);
    if (split.help) return { kind: "exit", code: 0, stdout: commandHelp(first), stderr: "" };
    return { kind: "run", config: configFor(first, split, deps) };
  } catch (err) {
    if (err instanceof UsageError) return usageExit(err);
    throw err;
  }
}

function configFor(name: string, split: SplitArgs, deps: ParseDeps): Config {
  const resolved = resolveFlags(COMMANDS[name]!.flags, { cli: split.flags, env: deps.env }, name);
  switch (name) {
    case "agent":
      return agentConfig(resolved, deps);
    case "sidecar":
      return sidecarConfig(resolved, split.rest, deps);
    case "task":
      return taskConfig(resolved, split.rest, deps, split.dashDash);
    case "members":
      return membersConfig(resolved);
    case "keygen":
      return { role: "keygen" };
    default:
      return { role: "version" };
  }
}

/** `shoal help [command]`, as in cobra and serf: the same text as `--help`, on stdout, exit 0. */
function helpFor(args: readonly string[], deps: ParseDeps): ParseResult {
  const topic = args[1];
  if (topic === undefined || topic === "--help" || topic === "-h") {
    return parseCommandLine(["--help"], deps);
  }
  if (!COMMANDS[topic] || topic === "help" || args.length > 2) {
    return usageExit(
      new UsageError(`unknown help topic ${JSON.stringify(args.slice(1).join(" "))}`),
    );
  }
  return parseCommandLine([topic, "--help"], deps);
}

function usageExit(err: UsageError): ParseResult {
  return { kind: "exit", code: USAGE_EXIT_CODE, stdout: "", stderr: err.line() + "\n" };
}
