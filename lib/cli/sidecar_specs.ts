/**
 * The flags only `shoal sidecar` has (its gossip and logging flags are in `specs.ts`).
 *
 * @module
 */

import type { FlagSpec } from "./flags.ts";

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
