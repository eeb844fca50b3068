/**
 * The flags of every subcommand. Gossip flags are shared by `agent`, `sidecar` and `task` so several
 * roles can run side by side on one host with their own ports and RPC addresses.
 *
 * @module
 */

import { DEFAULT_GOSSIP_PORT } from "./values.ts";
import type { FlagSpec } from "./flags.ts";

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

/** `--log-haproxy`, for a sidecar that supervises HAProxy. */
const LOG_HAPROXY_FLAG: FlagSpec = {
  name: "log-haproxy",
  kind: "bool",
  default: "false",
  help: "wrap a supervised HAProxy's stdout and stderr lines into the structured log",
};

/** Flags only the sidecar has. */
export const SIDECAR_FLAGS: readonly FlagSpec[] = [
  {
    name: "haproxy-socket",
    kind: "string",
    default: "/var/run/haproxy/admin.sock",
    placeholder: "<path>",
    help: "HAProxy runtime API UNIX socket (needs 'stats socket ... level admin')",
  },
  {
    name: "server-state-file",
    kind: "string",
    default: "",
    placeholder: "<path>",
    help: "keep HAProxy's server-state-file here current (slot mode: servers survive reloads)",
  },
  {
    name: "haproxy-backend",
    kind: "string",
    default: "shoal",
    placeholder: "<name>",
    help: "backend that tasks join when they name none",
  },
  {
    name: "backends",
    kind: "list",
    placeholder: "<names>",
    defaultText: "only --haproxy-backend",
    help: "backends tasks may join (comma-separated)",
  },
  {
    name: "server-prefix",
    kind: "string",
    default: "shoal-",
    placeholder: "<prefix>",
    help: "name prefix of the servers shoal manages; servers without it are never touched",
  },
  {
    name: "solicit-interval",
    kind: "duration",
    default: "30s",
    min: 1000,
    placeholder: "<duration>",
    help: "how often to ask every task to re-announce",
  },
  {
    name: "reconcile-interval",
    kind: "duration",
    default: "10s",
    min: 100,
    placeholder: "<duration>",
    help: "how often to compare HAProxy's servers with the registry and repair drift",
  },
  {
    name: "orphan-grace",
    kind: "duration",
    default: "30s",
    placeholder: "<duration>",
    help: "remove managed servers no live task claims after this long",
  },
  {
    name: "drain-timeout",
    kind: "duration",
    default: "20s",
    placeholder: "<duration>",
    help: "longest wait for a departing server's sessions before they are shut down",
  },
  {
    name: "weight",
    kind: "int",
    default: "100",
    min: 1,
    max: 256,
    placeholder: "<n>",
    help: "HAProxy weight of servers whose announce names none",
  },
  {
    name: "slowstart",
    kind: "duration",
    default: "0s",
    placeholder: "<duration>",
    help: "ramp a new server's weight up over this long (0 = full weight at once)",
  },
  {
    name: "zone",
    kind: "string",
    placeholder: "<zone>",
    defaultText: "none: all tasks alike",
    help: "this HAProxy's zone: tasks tagged with another zone (or none) become backup servers",
  },
  {
    name: "server-options",
    kind: "entries",
    placeholder: "<backend=options>",
    help:
      "backend=options: extra 'add server' keywords, e.g. shoal=send-proxy-v2; repeatable (; between entries in the variable)",
  },
  LOG_HAPROXY_FLAG,
];

/** Flags only the task has. */
export const TASK_FLAGS: readonly FlagSpec[] = [
  {
    name: "join-srv",
    kind: "string",
    placeholder: "<name>",
    help: "DNS SRV name whose targets are joined (alternative to --join)",
  },
  {
    name: "listen-addr",
    kind: "hostport",
    default: "0.0.0.0:0",
    allowZeroPort: true,
    anyHost: true,
    placeholder: "<addr:port>",
    help: "address of the listening socket handed to the worker as fd 3 (port 0 = ephemeral)",
  },
  {
    name: "backend",
    kind: "string",
    placeholder: "<name>",
    defaultText: "the sidecar's --haproxy-backend",
    help: "HAProxy backend to join",
  },
  {
    name: "weight",
    kind: "int",
    min: 1,
    max: 256,
    placeholder: "<n>",
    defaultText: "the sidecar's --weight",
    help: "HAProxy weight for this task",
  },
  {
    name: "zone",
    kind: "string",
    placeholder: "<zone>",
    defaultText: "from ECS or EC2 metadata",
    help: "zone of this task, sent as the 'zone' tag (a --zone sidecar prefers its own zone)",
  },
  {
    name: "ready",
    kind: "string",
    default: "tcp",
    placeholder: "<check>",
    help:
      "readiness check: tcp (the worker accepted a connection on the socket), http:PATH (a 2xx/3xx response), notify (sd_notify READY=1), exec:CMD, or delay:DURATION",
  },
  {
    name: "ready-timeout",
    kind: "duration",
    default: "60s",
    min: 1,
    placeholder: "<duration>",
    help: "give up (exit non-zero, never announce) when the worker is not ready by then",
  },
  {
    name: "health",
    kind: "string",
    placeholder: "<check>",
    defaultText: "off",
    help: "periodic health check: http:PATH or exec:CMD",
  },
  {
    name: "health-interval",
    kind: "duration",
    default: "5s",
    min: 100,
    placeholder: "<duration>",
    help: "time between health checks",
  },
  {
    name: "health-rise",
    kind: "int",
    default: "2",
    min: 1,
    max: 100,
    placeholder: "<n>",
    help: "consecutive passing checks that make an unhealthy worker healthy",
  },
  {
    name: "health-fall",
    kind: "int",
    default: "3",
    min: 1,
    max: 100,
    placeholder: "<n>",
    help: "consecutive failing checks that make a healthy worker unhealthy",
  },
  {
    name: "drain-timeout",
    kind: "duration",
    default: "20s",
    placeholder: "<duration>",
    help:
      "on SIGTERM, longest wait for the sidecars to drain this task before the worker is stopped",
  },
  {
    name: "kill-timeout",
    kind: "duration",
    default: "5s",
    placeholder: "<duration>",
    help: "after SIGTERM to the worker, wait this long before SIGKILL",
  },
  {
    name: "worker",
    kind: "argv",
    placeholder: "<arg>",
    help:
      "worker command and arguments, one per flag (or put the command after --); the variable is split on spaces",
  },
  {
    name: "log-worker",
    kind: "bool",
    default: "false",
    help: "wrap the worker's stdout and stderr lines into the structured log",
  },
];

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
