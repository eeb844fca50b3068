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
import { envName, type FlagSpec, isRepeatable, resolveFlags } from "./flags.ts";
import {
  GOSSIP_FLAGS,
  INSECURE_FLAG,
  LOG_FLAGS,
  MEMBERS_FLAGS,
  SIDECAR_FLAGS,
  TASK_FLAGS,
} from "./specs.ts";
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
  /** The version string printed by `--version`. */
  readonly version: string;
}

const SUBCOMMANDS: Readonly<Record<string, { summary: string; flags: readonly FlagSpec[] }>> = {
  sidecar: {
    summary:
      "Run beside HAProxy: register announced tasks as backend servers, drain and remove them",
    flags: [...GOSSIP_FLAGS, INSECURE_FLAG, ...SIDECAR_FLAGS, ...LOG_FLAGS],
  },
  task: {
    summary:
      "Run a worker with a listening socket on fd 3, announce it when ready, drain it on stop",
    // Many tasks may share a host: their RPC servers stay off unless asked for.
    flags: [
      ...GOSSIP_FLAGS.map((f) =>
        f.name === "rpc-addr" ? { ...f, default: "", defaultText: "off" } : f
      ),
      INSECURE_FLAG,
      ...TASK_FLAGS,
      ...LOG_FLAGS,
    ],
  },
  agent: {
    summary: "Run a plain gossip member (serf-compatible) for debugging and interop",
    flags: [...GOSSIP_FLAGS, ...LOG_FLAGS],
  },
  members: {
    summary: "List cluster members through an agent's RPC address",
    flags: MEMBERS_FLAGS,
  },
  keygen: { summary: "Print a new random 32-byte gossip encryption key (base64)", flags: [] },
  version: { summary: "Print the version", flags: [] },
};

/** The flags `shoal <command>` accepts, as composed for its help and parser. */
export function commandFlags(command: string): readonly FlagSpec[] {
  const def = SUBCOMMANDS[command];
  if (def === undefined) throw new Error(`bug: no shoal command ${JSON.stringify(command)}`);
  return def.flags;
}

const EXAMPLES: Readonly<Record<string, string>> = {
  sidecar: `
Examples:
  export SHOAL_ENCRYPT=$(shoal keygen)   # the same key on every node
  shoal sidecar --haproxy-socket /run/haproxy/admin.sock --haproxy-backend web
  shoal sidecar --join 10.0.0.5 -- haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg

Gossip is encrypted: without --encrypt (SHOAL_ENCRYPT) the sidecar refuses to start unless
--insecure is given.`,
  task: `
Examples:
  shoal task --join 10.0.0.5 --encrypt "$SHOAL_ENCRYPT" -- python3 server.py
  shoal task --join sidecar.internal --ready http:/healthz --backend api -- ./api --fd {fd}

The worker gets the listening socket as fd 3 and SHOAL_PORT, SHOAL_ADDR, SHOAL_LISTENER_FD=3,
LISTEN_FDS=1, LISTEN_PID and LISTEN_FDNAMES (systemd socket activation).`,
  agent: `
Examples:
  shoal agent --node a --bind 127.0.0.1:7946 --tag role=debug
  shoal agent --node b --bind 127.0.0.1:7947 --join 127.0.0.1:7946 --rpc-addr 127.0.0.1:7374`,
  members: `
Examples:
  shoal members --rpc-addr 127.0.0.1:7373 --status alive --tag role=task`,
};

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
  extra.push(`env ${envName(spec.name)}`);
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
export function buildProgram(version: string): Command {
  const program = new Command("shoal")
    .description(
      "Connect short-lived workers to HAProxy with gossip: no registry, no polling, no reloads.",
    )
    .version(version, "--version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  for (const [name, def] of Object.entries(SUBCOMMANDS)) {
    const cmd = program.command(name).description(def.summary).helpOption("-h, --help", "show help")
      .exitOverride().configureOutput({
        writeOut: () => {},
        writeErr: () => {},
        outputError: () => {},
      })
      .showSuggestionAfterError(true);
    addFlags(cmd, def.flags);
    if (name === "task") cmd.argument("[worker...]", "worker command and arguments, after --");
    else if (name === "sidecar") {
      cmd.argument("[haproxy...]", "HAProxy command to supervise, after -- (optional)");
    }
    if (EXAMPLES[name]) cmd.addHelpText("after", EXAMPLES[name]);
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
 * const r = parseCommandLine(["keygen"], { env: () => undefined, hostname: () => "h", version: "0" });
 * console.assert(r.kind === "run" && r.config.role === "keygen");
 * ```
 */
export function parseCommandLine(args: readonly string[], deps: ParseDeps): ParseResult {
  const program = buildProgram(deps.version);
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
  try {
    program.parse(args as string[], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, out, args);
    if (err instanceof UsageError) return usageExit(err);
    throw err;
  }
  const cmd = program.commands.find((c) => c.name() === args.find((a) => !a.startsWith("-")));
  if (!cmd) return usageExit(new UsageError(`unknown command ${JSON.stringify(args[0])}`));
  try {
    return { kind: "run", config: configFor(cmd, deps) };
  } catch (err) {
    if (err instanceof UsageError) return usageExit(err);
    throw err;
  }
}

function configFor(cmd: Command, deps: ParseDeps): Config {
  const name = cmd.name();
  const def = SUBCOMMANDS[name]!;
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
      return taskConfig(resolved, rest, deps);
    case "members":
      return membersConfig(resolved);
    case "keygen":
      return { role: "keygen" };
    default:
      return { role: "version" };
  }
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
  const command = args.find((a) => !a.startsWith("-") && SUBCOMMANDS[a]) ?? "";
  const message = err.message.replace(/^error: /, "").replaceAll("\n", " ")
    .replace(/\(Did you mean (.*)\?\)/, "(did you mean $1?)")
    .replace(/^unknown option '([^']*)'/, "unknown flag $1")
    .replace(/^option '(--[a-z-]+)[^']*' argument missing/, "flag $1 needs a value");
  return usageExit(new UsageError(message, command));
}
