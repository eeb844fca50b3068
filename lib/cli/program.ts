/**
 * The command line: commander routes subcommands, renders `--help` and rejects unknown flags; the
 * flag tables in `specs.ts` drive everything else. {@linkcode parseCommandLine} never exits the
 * process and never prints: it returns what to do.
 *
 * @module
 */

import { Command, CommanderError, Option } from "commander";
import type { Config } from "../config.ts";
import {
  agentConfig,
  type ConfigDeps,
  membersConfig,
  sidecarConfig,
  taskConfig,
} from "./build_config.ts";
import { COMMANDS } from "./commands.ts";
export { commandFlags } from "./commands.ts";
import { envOf, type FlagSpec, isRepeatable, resolveFlags } from "./flags.ts";
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

function placeholder(spec: FlagSpec): string {
  if (spec.kind === "bool") return "";
  return ` ${spec.placeholder ?? "<value>"}`;
}

function describe(spec: FlagSpec): string {
  const extra: string[] = [];
  if (spec.defaultText !== undefined) extra.push(`default ${spec.defaultText}`);
  else if (spec.default !== undefined && spec.default !== "" && spec.kind !== "bool") {
    extra.push(`default ${spec.default}`);
  }
  const variable = envOf(spec);
  if (variable !== null) extra.push(`env ${variable}`);
  return `${spec.help} (${extra.join("; ")})`;
}

function addFlags(cmd: Command, specs: readonly FlagSpec[]): void {
  for (const spec of specs) {
    const opt = new Option(`--${spec.name}${placeholder(spec)}`, describe(spec));
    if (isRepeatable(spec.kind)) {
      opt.argParser((
        value: string,
        previous: string[] | undefined,
      ) => [...(previous ?? []), value]);
    }
    cmd.addOption(opt);
  }
}

/** Builds the commander program (exported for the help-text tests). */
export function buildProgram(): Command {
  const program = new Command("shoal")
    .description(
      "Connect short-lived workers to HAProxy with gossip: no registry, no polling, no reloads.",
    )
    .option("--version", "print the version (same as 'shoal version')")
    .helpOption("-h, --help", "show help")
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  for (const [name, def] of Object.entries(COMMANDS)) {
    const cmd = program.command(name).description(def.summary).helpOption("-h, --help", "show help")
      .exitOverride().configureOutput({
        writeOut: () => {},
        writeErr: () => {},
        outputError: () => {},
      })
      .showSuggestionAfterError(true);
    addFlags(cmd, def.flags);
    if (name === "help") cmd.argument("[command]", "the command to show help for");
    if (def.argument) cmd.argument(def.argument.name, def.argument.help);
    if (def.examples) cmd.addHelpText("after", def.examples);
    cmd.action(() => {});
  }
  return program;
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
  const program = buildProgram();
  let out = "";
  program.configureOutput({
    writeOut: (s) => (out += s),
    writeErr: () => {},
    outputError: () => {},
  });
  for (const cmd of program.commands) {
    cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: () => {}, outputError: () => {} });
  }
  if (args.length === 0) {
    return { kind: "exit", code: USAGE_EXIT_CODE, stdout: "", stderr: program.helpInformation() };
  }
  if (args[0] === "--version") return { kind: "run", config: { role: "version" } };
  if (args[0] === "help") return helpFor(args, deps);
  try {
    program.parse(args as string[], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, out, args);
    if (err instanceof UsageError) return usageExit(err);
    throw err;
  }
  const cmd = program.commands.find((c) => c.name() === args[0]);
  if (!cmd) return usageExit(new UsageError(`unknown command ${JSON.stringify(args[0])}`));
  try {
    return { kind: "run", config: configFor(cmd, args, deps) };
  } catch (err) {
    if (err instanceof UsageError) return usageExit(err);
    throw err;
  }
}

function configFor(cmd: Command, args: readonly string[], deps: ParseDeps): Config {
  const name = cmd.name();
  const def = COMMANDS[name]!;
  const opts = cmd.opts() as Record<string, string | boolean | string[]>;
  const cli = new Map<string, string | boolean | readonly string[]>();
  for (const spec of def.flags) {
    const key = spec.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (opts[key] !== undefined) cli.set(spec.name, opts[key]);
  }
  const resolved = resolveFlags(def.flags, { cli, env: deps.env }, name);
  const rest = cmd.args;
  switch (name) {
    case "agent":
      return agentConfig(resolved, deps);
    case "sidecar":
      return sidecarConfig(resolved, rest, deps);
    case "task":
      return taskConfig(resolved, rest, deps, args.includes("--"));
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

function commanderExit(err: CommanderError, out: string, args: readonly string[]): ParseResult {
  if (
    err.code === "commander.helpDisplayed" || err.code === "commander.version" ||
    err.code === "commander.help"
  ) {
    return { kind: "exit", code: 0, stdout: out, stderr: "" };
  }
  const command = args[0] !== undefined && COMMANDS[args[0]] ? args[0] : "";
  const message = err.message.replace(/^error: /, "").replaceAll("\n", " ")
    .replace(/\(Did you mean (.*)\?\)/, "(did you mean $1?)")
    .replace(/^unknown option '([^']*)'/, "unknown flag $1")
    .replace(/^option '(--[a-z-]+)[^']*' argument missing/, "flag $1 needs a value");
  return usageExit(new UsageError(message, command));
}
