/**
 * The flags of every subcommand. Gossip flags are shared by `agent`, `sidecar` and `task` so several
 * roles can run side by side on one host with their own ports and RPC addresses.
 *
 * @module
 */

import { DEFAULT_GOSSIP_PORT } from "./values.ts";
import type { FlagSpec } from "./flags.ts";

export { SIDECAR_FLAGS } from "./sidecar_specs.ts";
export { TASK_FLAGS } from "./task_specs.ts";

/** Logging flags, on every long-running command. */
export const LOG_FLAGS: readonly FlagSpec[] = [
  {
    name: "log-level",
    kind: "enum",
    choices: ["debug", "info", "warn", "error"],
    default: "info",
    placeholder: "<level>",
    help: "lowest level logged: debug, info, warn or error",
  },
  {
    name: "log-format",
    kind: "enum",
    choices: ["auto", "json", "text"],
    default: "auto",
    placeholder: "<format>",
    help: "log format: json lines, text, or auto (text on a terminal, json otherwise)",
  },
];

/** Gossip membership flags, shared by agent, sidecar and task. */
export const GOSSIP_FLAGS: readonly FlagSpec[] = [
  {
    name: "node",
    kind: "string",
    placeholder: "<name>",
    defaultText: "the hostname",
    help: "unique node name in the cluster",
  },
  {
    name: "bind",
    kind: "hostport",
    default: `0.0.0.0:${DEFAULT_GOSSIP_PORT}`,
    defaultPort: DEFAULT_GOSSIP_PORT,
    allowZeroPort: true,
    anyHost: true,
    placeholder: "<addr:port>",
    help: "address to listen on for gossip, UDP and TCP on the same port (:PORT = every interface)",
  },
  {
    name: "advertise",
    kind: "hostport",
    defaultPort: DEFAULT_GOSSIP_PORT,
    placeholder: "<addr:port>",
    defaultText: "the --bind address, or the first non-loopback interface",
    help: "address peers use to reach this node",
  },
  {
    name: "join",
    kind: "list",
    placeholder: "<addr>",
    defaultPort: DEFAULT_GOSSIP_PORT,
    help:
      "cluster member to join, host[:port] (port 7946 when omitted); repeatable or comma-separated",
  },
  {
    name: "tag",
    kind: "tags",
    placeholder: "<key=value>",
    help: "tag to set on this node; repeatable or comma-separated",
  },
  {
    name: "encrypt",
    kind: "string",
    placeholder: "<key>",
    help: "base64 gossip encryption key (16, 24 or 32 bytes, e.g. from 'shoal keygen')",
  },
  {
    name: "rpc-addr",
    kind: "hostport",
    default: "127.0.0.1:7373",
    allowEmpty: true,
    allowZeroPort: true,
    anyHost: true,
    placeholder: "<addr:port>",
    help: "serf-compatible agent RPC address; empty turns the RPC server off",
  },
  {
    name: "rpc-auth",
    kind: "string",
    placeholder: "<token>",
    help: "require this key from RPC clients (serf's -rpc-auth)",
  },
  {
    name: "snapshot-dir",
    kind: "string",
    placeholder: "<dir>",
    help: "directory for the serf snapshot, so a restarted node rejoins without --join",
  },
  {
    name: "profile",
    kind: "enum",
    choices: ["lan", "wan", "local"],
    default: "lan",
    placeholder: "<name>",
    help: "memberlist timing preset: lan, wan or local",
  },
  {
    name: "reconnect-timeout",
    kind: "duration",
    default: "10m",
    min: 1000,
    placeholder: "<duration>",
    help: "forget failed members after this long (serf's 24h suits servers, not short-lived tasks)",
  },
  {
    name: "tombstone-timeout",
    kind: "duration",
    default: "10m",
    min: 1000,
    placeholder: "<duration>",
    help: "forget members that left after this long",
  },
  {
    name: "metrics-addr",
    kind: "hostport",
    allowZeroPort: true,
    anyHost: true,
    placeholder: "<addr:port>",
    defaultText: "off",
    help: "serve Prometheus /metrics and /healthz on this address",
  },
];

/**
 * The opt-out from gossip encryption, on the roles that move HAProxy traffic (sidecar and task).
 * Without a key, anyone who can reach the gossip port can forge the queries that add, replace and
 * remove servers, so running unencrypted is something the operator must ask for.
 */
export const INSECURE_FLAG: FlagSpec = {
  name: "insecure",
  kind: "bool",
  default: "false",
  help:
    "run without --encrypt: anyone who can reach the gossip port can then add or remove servers",
};

/** Flags of `shoal members`. */
export const MEMBERS_FLAGS: readonly FlagSpec[] = [
  {
    name: "rpc-addr",
    kind: "hostport",
    default: "127.0.0.1:7373",
    placeholder: "<addr:port>",
    help: "RPC address of the agent to ask",
  },
  {
    name: "rpc-auth",
    kind: "string",
    placeholder: "<token>",
    help: "RPC auth key, when the agent requires one",
  },
  {
    name: "status",
    env: false,
    kind: "string",
    placeholder: "<regexp>",
    help: "only members whose status matches (alive, leaving, left, failed)",
  },
  {
    name: "name",
    env: false,
    kind: "string",
    placeholder: "<regexp>",
    help: "only members whose name matches",
  },
  {
    name: "tag",
    env: false,
    kind: "tags",
    placeholder: "<key=regexp>",
    help: "only members whose tag matches; repeatable",
  },
  {
    name: "format",
    env: false,
    kind: "enum",
    choices: ["table", "json"],
    default: "table",
    placeholder: "<format>",
    help: "output format: table or json",
  },
];
