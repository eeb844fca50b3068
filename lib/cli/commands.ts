/**
 * The subcommands: their one-line summaries, the flags each takes (composed from `specs.ts`) and
 * their help examples, and the README's flag sections. `program.ts` parses with it, `help.ts`
 * renders `--help`, `docs.ts` the README tables.
 *
 * @module
 */

import type { FlagSpec } from "./flags.ts";
import {
  GOSSIP_FLAGS,
  INSECURE_FLAG,
  LOG_FLAGS,
  MEMBERS_FLAGS,
  SIDECAR_FLAGS,
  TASK_FLAGS,
} from "./specs.ts";

/** One subcommand. */
export interface CommandDef {
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  /** Positional arguments as shown in usage, e.g. `[worker...]`, with their description. */
  readonly argument?: { readonly name: string; readonly help: string };
  /** Text shown after the flags in `--help`. */
  readonly examples?: string;
}

/** Every subcommand, in the order `shoal --help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandDef>> = {
  sidecar: {
    summary:
      "Run beside HAProxy: register announced tasks as backend servers, drain and remove them",
    flags: [...GOSSIP_FLAGS, INSECURE_FLAG, ...SIDECAR_FLAGS, ...LOG_FLAGS],
    argument: { name: "[haproxy...]", help: "HAProxy command to supervise, after -- (optional)" },
    examples: `
Examples:
  export SHOAL_ENCRYPT=$(shoal keygen)   # the same key on every node
  shoal sidecar --haproxy-socket /run/haproxy/admin.sock --haproxy-backend web
  shoal sidecar --join 10.0.0.5 -- haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg

Gossip is encrypted: without --encrypt (SHOAL_ENCRYPT) the sidecar refuses to start unless
--insecure is given.`,
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
    argument: { name: "[worker...]", help: "worker command and arguments (after -- or --worker)" },
    examples: `
Examples:
  shoal task --join 10.0.0.5 --encrypt "$SHOAL_ENCRYPT" -- python3 server.py
  shoal task --join 10.0.0.5 --worker python3 server.py   # SHOAL_ENCRYPT in the environment
  shoal task --join sidecar.internal --ready http:/healthz --backend api -- ./api --fd {fd}

The worker gets the listening socket as fd 3 and SHOAL_PORT, SHOAL_ADDR, SHOAL_LISTENER_FD=3,
LISTEN_FDS=1, LISTEN_PID and LISTEN_FDNAMES (systemd socket activation).`,
  },
  agent: {
    summary: "Run a plain gossip member (serf-compatible) for debugging and interop",
    flags: [...GOSSIP_FLAGS, ...LOG_FLAGS],
    examples: `
Examples:
  shoal agent --node a --bind 127.0.0.1:7946 --tag role=debug
  shoal agent --node b --bind 127.0.0.1:7947 --join 127.0.0.1:7946 --rpc-addr 127.0.0.1:7374`,
  },
  members: {
    summary: "List cluster members through an agent's RPC address",
    flags: MEMBERS_FLAGS,
    examples: `
Examples:
  shoal members --rpc-addr 127.0.0.1:7373 --status alive --tag role=task`,
  },
  keygen: { summary: "Print a new random 32-byte gossip encryption key (base64)", flags: [] },
  version: { summary: "Print the version (same as --version)", flags: [] },
  help: {
    summary: "Show help for shoal or for one command",
    flags: [],
    argument: { name: "[command]", help: "the command to show help for" },
  },
};

/** A section of the README's flag tables: the flags it shows and the commands that share them. */
export interface FlagSection {
  readonly flags: readonly FlagSpec[];
  readonly commands: readonly string[];
}

/** The README's flag sections (rendered by `docs.ts`), composed from the same groups as above. */
export const FLAG_SECTIONS: Readonly<Record<string, FlagSection>> = {
  gossip: {
    flags: [...GOSSIP_FLAGS, INSECURE_FLAG, ...LOG_FLAGS],
    commands: ["agent", "sidecar", "task"],
  },
  sidecar: { flags: SIDECAR_FLAGS, commands: ["sidecar"] },
  task: { flags: TASK_FLAGS, commands: ["task"] },
  members: { flags: MEMBERS_FLAGS, commands: ["members"] },
};

/** The flags `shoal <command>` accepts, as composed for its help and parser. */
export function commandFlags(command: string): readonly FlagSpec[] {
  const def = COMMANDS[command];
  if (def === undefined) throw new Error(`bug: no shoal command ${JSON.stringify(command)}`);
  return def.flags;
}
